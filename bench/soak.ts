/**
 * `npm run soak [-- --minutes=N --sample=S]` (issue 9): drive every protocol at a steady load
 * against the server as a child process for N minutes (default SOAK_MINUTES or 10) and report,
 * per sample interval (default 30 s), throughput per protocol, p99 latency, and the server's RSS
 * (VmRSS) and open file descriptors (/proc/PID/fd). Mailboxes, calendars and drives are kept at a
 * constant size (every write is undone), so memory and descriptors should stay flat.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { startBenchServer, cli } from './child.js';
import { percentile, type Row } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROTOCOLS = ['smtp', 'imap', 'api', 'caldav', 'drive'] as const;
type Proto = (typeof PROTOCOLS)[number];

interface Sample { t_s: number; ops: Record<Proto, number>; errors: number; p99_ms: number; rss_mb: number; fds: number }

function proc(pid: number): { rss: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The bench entry. */
export async function run(args: string[]): Promise<Row[]> {
  const opt = (name: string, def: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
  const minutes = opt('minutes', Number(process.env.SOAK_MINUTES ?? 10));
  const sampleS = opt('sample', 30);
  const server = await startBenchServer({
    imap: { port: 0, tls_port: null }, smtp: { port: 0, submission_port: null, submissions_port: null },
    exchange_api: { token_secret: 'cd'.repeat(32) }, log: { level: 'info', requests: false },
  });
  for (let i = 0; i < 50 && !(server.ports.imap && server.ports.smtp); i++) await sleep(100);
  const pid = server.child.pid!;
  process.once('exit', () => server.child.kill('SIGKILL'));
  const PW = 'pw-soak';
  for (const u of ['s1', 's2', 's3']) await cli(server.configFile, ['user', 'add', `${u}@example.com`, '--password', PW]);
  const base = `http://127.0.0.1:${server.ports.http}`;
  const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 's2@example.com', password: PW }) });
  const token = ((await login.json()) as { token: string }).token;
  const basic = `Basic ${Buffer.from(`s3@example.com:${PW}`).toString('base64')}`;

  let ops = Object.fromEntries(PROTOCOLS.map((p) => [p, 0])) as Record<Proto, number>;
  let lat: number[] = [];
  const allLat: number[] = [];
  let errors = 0;
  const timed = async (p: Proto, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    try {
      await fn();
      ops[p]++;
      const ms = performance.now() - t0;
      lat.push(ms);
      allLat.push(ms);
    } catch {
      errors++;
    }
  };
  const deadline = Date.now() + minutes * 60_000;
  const live = () => Date.now() < deadline;
  const msg = (i: number) => `From: soak@example.org\r\nTo: s1@example.com\r\nSubject: soak ${i}\r\n\r\n${'soak body line\r\n'.repeat(20)}`;
  const ok = async (r: Promise<Response>, codes: number[]) => {
    const res = await r;
    await res.arrayBuffer();
    if (!codes.includes(res.status)) throw new Error(String(res.status));
    return res;
  };

  const loops: Promise<void>[] = [];
  const guard = (p: Promise<void>) => loops.push(p.catch((e: Error) => { errors++; console.error(`soak loop stopped: ${e.message}`); }));
  // SMTP: deliveries to s1; the IMAP loop expunges them, so the mailbox stays small.
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports.smtp!, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
  guard((async () => { for (let i = 0; live(); i++) await timed('smtp', () => mx.sendMail({ envelope: { from: 'soak@example.org', to: ['s1@example.com'] }, raw: msg(i) })); })());
  // IMAP as s1: SELECT, FETCH envelopes of the last 20, flag and expunge all but the newest 50.
  guard((async () => {
    const im = new ImapFlow({ host: '127.0.0.1', port: server.ports.imap!, secure: false, auth: { user: 's1@example.com', pass: PW }, logger: false, disableAutoIdle: true, tls: { rejectUnauthorized: false } } as ConstructorParameters<typeof ImapFlow>[0]);
    im.on('error', () => {});
    await im.connect();
    while (live()) {
      await timed('imap', async () => {
        const box = await im.mailboxOpen('INBOX');
        if (box.exists > 0) for await (const _m of im.fetch(`${Math.max(1, box.exists - 19)}:*`, { envelope: true, flags: true })) { /* drain */ }
        if (box.exists > 60) await im.messageDelete(`1:${box.exists - 50}`);
      });
      await sleep(20);
    }
    await im.logout().catch(() => im.close());
  })());
  // API as s2: append, list, flag, delete.
  guard((async () => {
    for (let i = 0; live(); i++) {
      await timed('api', async () => {
        const a = await ok(fetch(`${base}/folders/INBOX/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'message/rfc822' }, body: msg(i) }), [201]);
        void a;
      });
      await timed('api', () => ok(fetch(`${base}/folders/INBOX/messages?limit=50`, { headers: { authorization: `Bearer ${token}` } }), [200]));
      const list = await fetch(`${base}/folders/INBOX/messages?limit=5`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ messages: { uid: number }[] }>).catch(() => ({ messages: [] }));
      for (const m of list.messages) {
        await timed('api', () => ok(fetch(`${base}/folders/INBOX/messages/${m.uid}/flags`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"flags":["\\\\Seen"]}' }), [200]));
        await timed('api', () => ok(fetch(`${base}/folders/INBOX/messages/${m.uid}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }), [200, 204]));
      }
    }
  })());
  // CalDAV as s3: PUT, REPORT, DELETE.
  guard((async () => {
    for (let i = 0; live(); i++) {
      const name = `soak-${i % 20}`;
      const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//soak//EN\r\nBEGIN:VEVENT\r\nUID:${name}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:${i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
      await timed('caldav', () => ok(fetch(`${base}/caldav/s3/calendars/default/${name}.ics`, { method: 'PUT', headers: { authorization: basic, 'content-type': 'text/calendar' }, body: ics }), [201, 204]));
      await timed('caldav', () => ok(fetch(`${base}/caldav/s3/calendars/default/`, { method: 'REPORT', headers: { authorization: basic, depth: '1', 'content-type': 'application/xml' },
        body: '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000Z" end="20240301T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>' }), [207]));
      if (i % 20 === 19) for (let k = 0; k < 20; k++) await timed('caldav', () => ok(fetch(`${base}/caldav/s3/calendars/default/soak-${k}.ics`, { method: 'DELETE', headers: { authorization: basic } }), [204, 200, 404]));
    }
  })());
  // Drive as s3: PUT, GET, PROPFIND, DELETE.
  guard((async () => {
    const body = Buffer.alloc(16 * 1024, 7);
    for (let i = 0; live(); i++) {
      const f = `${base}/drive/soak/d${i % 4}/f${i % 10}.bin`;
      await timed('drive', () => ok(fetch(f, { method: 'PUT', headers: { authorization: basic }, body }), [200, 201, 204]));
      await timed('drive', () => ok(fetch(f, { headers: { authorization: basic } }), [200]));
      await timed('drive', () => ok(fetch(`${base}/drive/soak`, { method: 'PROPFIND', headers: { authorization: basic, depth: '1' } }), [200, 207]));
      if (i % 10 === 9) await timed('drive', () => ok(fetch(`${base}/drive/soak`, { method: 'DELETE', headers: { authorization: basic } }), [200, 204]));
    }
  })());

  const samples: Sample[] = [];
  const start = Date.now();
  const first = proc(pid);
  samples.push({ t_s: 0, ops: { ...ops }, errors: 0, p99_ms: 0, rss_mb: first.rss, fds: first.fds });
  console.error(JSON.stringify(samples[0]));
  while (live()) {
    await sleep(Math.min(sampleS * 1000, Math.max(0, deadline - Date.now())));
    const p = proc(pid);
    const s: Sample = { t_s: Math.round((Date.now() - start) / 1000), ops, errors, p99_ms: Math.round(percentile(lat, 99) * 10) / 10, rss_mb: p.rss, fds: p.fds };
    samples.push(s);
    console.error(JSON.stringify(s));
    ops = Object.fromEntries(PROTOCOLS.map((q) => [q, 0])) as Record<Proto, number>;
    lat = [];
    errors = 0;
  }
  await Promise.allSettled(loops);
  mx.close();
  const last = proc(pid);
  const peak = server.peakRssMb();
  await server.stop();
  const secs = (Date.now() - start) / 1000;
  const total = (p: Proto) => samples.reduce((n, s) => n + s.ops[p], 0);
  const out = { minutes, sample_s: sampleS, samples, rss_start_mb: first.rss, rss_end_mb: last.rss, fds_start: first.fds, fds_end: last.fds, p99_ms: percentile(allLat, 99), p50_ms: percentile(allLat, 50) };
  if (process.env.SOAK_REPORT) writeFileSync(process.env.SOAK_REPORT, JSON.stringify(out, null, 2));
  return [
    ...PROTOCOLS.map((p) => ({ name: `soak ${minutes} min: ${p}`, ops_per_s: total(p) / secs })),
    { name: `soak ${minutes} min: all`, ops_per_s: PROTOCOLS.reduce((n, p) => n + total(p), 0) / secs, p50_ms: out.p50_ms, p99_ms: out.p99_ms,
      peak_rss_mb: peak, note: `RSS ${first.rss}->${last.rss} MB, fds ${first.fds}->${last.fds}, errors ${samples.reduce((n, s) => n + s.errors, 0)}` },
  ];
}
