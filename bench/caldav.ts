/**
 * CalDAV (issue 6) against Radicale (Debian `radicale`) in the same run, on a 5,000-event
 * calendar (20% recurring): PUT rate at concurrency 1 and 16, one-month time-range REPORT with
 * expand (p50/p99), initial sync-collection, calendar-multiget of 100, PROPFIND Depth 1. The PUT
 * rates are measured into the already filled calendar (rmail is filled by PUT, Radicale by writing
 * its storage files directly, which is faster than its PUT).
 * rmail runs as a child (`rmail serve`, plain HTTP, Basic auth); Radicale runs as a child on a
 * 127.0.0.1 port with a temp config and `auth = none`. Cyrus is not run (see the note row).
 * `--events=N` changes the calendar size (default 5000); `--no-peers` runs rmail only. Loopback only, bounded.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import http from 'node:http';
import { percentile, type Row } from './types.js';
import { startBenchServer, cli } from './child.js';

interface Target {
  name: string;
  /** Load events [from, to) the fastest way the server allows (not measured). */
  populate(from: number, to: number): Promise<void>;
  /** The calendar collection URL, ending in `/`. */
  cal: string;
  headers: Record<string, string>;
  peakRssMb(): number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function req(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
    const r = http.request(url, { method, headers: h, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}00Z`;

/** The i-th event of the workload: spread over 2026, every fifth one recurring. */
function eventIcs(i: number): string {
  const start = new Date(Date.UTC(2026, 0, 1, 8) + ((i * 7919) % 365) * 86_400_000 + (i % 9) * 3_600_000);
  const end = new Date(start.getTime() + 3_600_000);
  const rule = i % 5 === 0 ? (i % 10 === 0 ? 'RRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\n' : 'RRULE:FREQ=DAILY;COUNT=200\r\n') : '';
  return `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-${i}\r\nDTSTAMP:20260101T000000Z\r\n`
    + `DTSTART:${stamp(start)}\r\nDTEND:${stamp(end)}\r\nSUMMARY:Bench event ${i}\r\nLOCATION:Room ${i % 17}\r\n${rule}END:VEVENT\r\nEND:VCALENDAR\r\n`;
}

async function putRange(t: Target, from: number, to: number, concurrency: number): Promise<{ rate: number; p50: number; p99: number; errors: number }> {
  const put = (i: number) => req(`${t.cal}bench-${i}.ics`, 'PUT', { ...t.headers, 'content-type': 'text/calendar; charset=utf-8' }, eventIcs(i));
  const lat: number[] = [];
  let next = from;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < to) {
      const i = next++;
      const s = performance.now();
      const r = await put(i).catch(() => put(i)).catch(() => ({ status: 599 }));
      if (r.status >= 300) errors++;
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return { rate: (to - from) / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
}

async function timed(n: number, fn: () => Promise<{ status: number; text: string }>, check: (r: { status: number; text: string }) => boolean): Promise<{ p50: number; p99: number; ok: boolean }> {
  const lat: number[] = [];
  let ok = true;
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const r = await fn();
    lat.push(performance.now() - s);
    if (!check(r)) ok = false;
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), ok };
}

const QUERY = `<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>`
  + `<C:calendar-data><C:expand start="20260601T000000Z" end="20260701T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR">`
  + `<C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z" end="20260701T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`;
const SYNC = `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
const PROPFIND = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:getetag/><D:getcontenttype/><D:resourcetype/><CS:getctag/></D:prop></D:propfind>`;

function multiget(t: Target, n: number): string {
  const path = new URL(t.cal).pathname;
  const hrefs = Array.from({ length: 100 }, (_, k) => `<D:href>${path}bench-${(k * 37) % n}.ics</D:href>`).join('');
  return `<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>${hrefs}</C:calendar-multiget>`;
}

const count = (text: string, s: string) => text.split(s).length - 1;

/** The whole workload against one target; rows keyed by workload name. */
async function workload(t: Target, n: number): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  // the calendar is filled to n - 1,300 first, then PUTs are measured into it: 300 at c=1, 1,000 at c=16
  const base = Math.max(0, n - 1300);
  await t.populate(0, base);
  const p1 = await putRange(t, base, base + 300, 1);
  out.set('PUT c=1', { name: '', ops_per_s: p1.rate, p50_ms: p1.p50, p99_ms: p1.p99, note: p1.errors ? `${p1.errors} errors` : '' });
  const p16 = await putRange(t, base + 300, n, 16);
  out.set('PUT c=16', { name: '', ops_per_s: p16.rate, p50_ms: p16.p50, p99_ms: p16.p99, note: p16.errors ? `${p16.errors} errors` : '' });
  const dav = (method: string, body: string, depth: string) => () => req(t.cal, method, { ...t.headers, depth, 'content-type': 'application/xml; charset=utf-8' }, body);
  let instances = 0;
  const q = await timed(15, dav('REPORT', QUERY, '1'), (r) => { instances = count(r.text, 'BEGIN:VEVENT'); return r.status === 207; });
  out.set('month REPORT expand', { name: '', p50_ms: q.p50, p99_ms: q.p99, note: `${q.ok ? '' : 'FAILED '}${instances} VEVENTs` });
  const sy = await timed(10, dav('REPORT', SYNC, '1'), (r) => r.status === 207 && count(r.text, '.ics<') >= n);
  out.set('initial sync-collection', { name: '', p50_ms: sy.p50, p99_ms: sy.p99, note: sy.ok ? '' : 'FAILED' });
  const mg = await timed(20, dav('REPORT', multiget(t, n), '1'), (r) => r.status === 207 && count(r.text, 'BEGIN:VCALENDAR') === 100);
  out.set('multiget 100', { name: '', p50_ms: mg.p50, p99_ms: mg.p99, note: mg.ok ? '' : 'FAILED' });
  const pf = await timed(10, dav('PROPFIND', PROPFIND, '1'), (r) => r.status === 207 && count(r.text, '.ics<') >= n);
  out.set('PROPFIND Depth 1', { name: '', p50_ms: pf.p50, p99_ms: pf.p99, note: pf.ok ? '' : 'FAILED' });
  for (const r of out.values()) r.peak_rss_mb = t.peakRssMb();
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function rssOf(pid: number | undefined): number {
  try {
    const status = spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout;
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function startRadicale(): Promise<{ target: Target; stop: () => Promise<void> } | null> {
  if (spawnSync('radicale', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'radicale-bench-'));
  const port = await freePort();
  const conf = join(dir, 'config');
  writeFileSync(conf, `[server]\nhosts = 127.0.0.1:${port}\n[auth]\ntype = none\n[storage]\nfilesystem_folder = ${dir}/collections\n[logging]\nlevel = warning\n`);
  const child: ChildProcess = spawn('radicale', ['--config', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Basic ${Buffer.from('bench:pw').toString('base64')}` };
  for (let i = 0; i < 100; i++) {
    const ok = await req(`${base}/`, 'OPTIONS', headers).then(() => true, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const cal = `${base}/bench/cal/`;
  const mk = await req(cal, 'MKCALENDAR', headers);
  if (mk.status !== 201) throw new Error(`radicale MKCALENDAR ${mk.status}`);
  return {
    target: {
      name: 'radicale', cal, headers, peakRssMb: () => rssOf(child.pid),
      // Radicale's own storage layout: one .ics per item in the collection directory
      populate: async (from, to) => {
        for (let i = from; i < to; i++) writeFileSync(join(dir, 'collections', 'collection-root', 'bench', 'cal', `bench-${i}.ics`), eventIcs(i));
      },
    },
    stop: async () => {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run the CalDAV bench: rmail, then Radicale; rows with ratios in the note. */
export async function run(args: string[]): Promise<Row[]> {
  const n = Number(args.find((a) => a.startsWith('--events='))?.slice(9) ?? 5000);
  const server = await startBenchServer();
  let ours: Map<string, Row>;
  try {
    if ((await cli(server.configFile, ['user', 'add', 'bench@example.com', '--password', 'bench-pw'])) !== 0) throw new Error('user add failed');
    const headers = { authorization: `Basic ${Buffer.from('bench@example.com:bench-pw').toString('base64')}` };
    const target: Target = {
      name: 'rmail', cal: `http://127.0.0.1:${server.ports.http}/caldav/bench/calendars/default/`, headers, peakRssMb: server.peakRssMb,
      populate: async (from, to) => { await putRange(target, from, to, 16); },
    };
    ours = await workload(target, n);
  } finally {
    await server.stop();
  }
  const peers: [string, Map<string, Row>][] = [];
  const rad = args.includes('--no-peers') ? null : await startRadicale();
  if (rad) {
    try {
      peers.push(['radicale', await workload(rad.target, n)]);
    } finally {
      await rad.stop();
    }
  }
  const rows: Row[] = [];
  for (const [key, r] of ours) {
    const notes: string[] = r.note ? [r.note] : [];
    for (const [peer, m] of peers) {
      const p = m.get(key)!;
      if (r.ops_per_s !== undefined && p.ops_per_s) notes.push(`${peer} ${p.ops_per_s.toFixed(0)}/s, ×${(r.ops_per_s / p.ops_per_s).toFixed(2)}`);
      else if (r.p50_ms !== undefined && p.p50_ms) notes.push(`${peer} p50 ${p.p50_ms.toFixed(1)} ms, ×${(p.p50_ms / r.p50_ms).toFixed(2)} faster${p.note ? ` (${p.note})` : ''}`);
    }
    rows.push({ ...r, name: `caldav: ${key} (${n} events)`, note: notes.join('; ') });
  }
  for (const [peer, m] of peers) {
    for (const [key, p] of m) rows.push({ ...p, name: `  ${peer}: ${key}` });
  }
  rows.push({ name: 'caldav: cyrus', note: 'not run: cyrus-imapd conflicts with dovecot here; not set up in time' });
  return rows;
}
