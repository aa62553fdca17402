/**
 * `npm run soak [-- --minutes=N --sample=S --heap=K]` (issue 9): drive every protocol at a steady
 * load against the server as a child process for N minutes (default SOAK_MINUTES or 10) and
 * report, per sample interval (default 30 s), throughput per protocol, p99 latency, and the
 * server's RSS (VmRSS) and open file descriptors (/proc/PID/fd). Mailboxes, calendars and drives
 * are kept at a constant size (every write is undone), so memory and descriptors should stay flat.
 *
 * RSS alone cannot tell a leak from a heap still growing to its working size or from allocator
 * fragmentation. `--heap=K` takes K V8 heap snapshots of the server's main thread (SIGUSR2 with
 * `--heapsnapshot-signal`; a snapshot runs a full GC first, so its size is the live heap) spread
 * over the run, and reports the live heap at each and the object kinds that grew most between the
 * first and the last. A snapshot pauses the server for a moment: those intervals' p99 is marked.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { startBenchServer, cli } from './child.js';
import { percentile, type Row } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROTOCOLS = ['smtp', 'imap', 'api', 'caldav', 'drive'] as const;
type Proto = (typeof PROTOCOLS)[number];

interface Sample { t_s: number; ops: Record<Proto, number>; errors: number; p99_ms: number; rss_mb: number; fds: number; live_heap_mb?: number }

/** Per object kind (`type:name`) of a heap snapshot: count and bytes. */
type HeapKinds = Map<string, { count: number; bytes: number }>;

/** A parsed V8 heap snapshot (the fields used here). */
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Signal the server for a heap snapshot in `dir`; wait until it is written and parse it. */
async function heapSnapshot(pid: number, dir: string): Promise<Snapshot> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 1200; i++) {
    await sleep(250);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const path = join(dir, file);
    // Node writes the file in one go; it is complete when its size stops changing and it parses.
    const size = statSync(path).size;
    await sleep(1000);
    if (statSync(path).size !== size || size === 0) continue;
    try {
      const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
      rmSync(path);
      return snap;
    } catch {
      continue; // not complete yet
    }
  }
  throw new Error('heap snapshot not written within 5 minutes');
}

/** The kind of node `i` (an index into `nodes`): `type:name`, strings by type only. */
function kindOf(snap: Snapshot, i: number): string {
  const fields = snap.snapshot.meta.node_fields;
  const type = snap.snapshot.meta.node_types[0][snap.nodes[i + fields.indexOf('type')]!]!;
  const name = type.includes('string') ? '' : snap.strings[snap.nodes[i + fields.indexOf('name')]!]!.slice(0, 60);
  return `${type}:${name}`;
}

/** Live heap size and count/bytes per kind. */
function summarize(snap: Snapshot): { liveMb: number; kinds: HeapKinds } {
  const n = snap.snapshot.meta.node_fields.length;
  const fSize = snap.snapshot.meta.node_fields.indexOf('self_size');
  const kinds: HeapKinds = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += n) {
    const size = snap.nodes[i + fSize]!;
    total += size;
    const k = kindOf(snap, i);
    const e = kinds.get(k) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += size;
    kinds.set(k, e);
  }
  return { liveMb: Math.round((total / 1048576) * 10) / 10, kinds };
}

/**
 * The highest id of a JS heap object in a snapshot (ids persist across snapshots of one process;
 * new objects get higher ones). Native and synthetic nodes are left out: their ids are not
 * allocation-ordered.
 */
function maxId(snap: Snapshot): number {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [fType, fId] = [fields.indexOf('type'), fields.indexOf('id')];
  let max = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + fType]!]!;
    if (type !== 'native' && type !== 'synthetic' && type !== 'hidden') max = Math.max(max, snap.nodes[i + fId]!);
  }
  return max;
}

/**
 * What holds the objects of `kind` allocated after object id `after`: for up to 3000 of them, the
 * chain of first strong retainers (`kind.edge <- kind.edge ...`, `depth` levels up, skipping
 * the links of a string rope), most common chains first.
 */
function retainers(snap: Snapshot, kind: string, after: number, depth = 5, top = 5): { chain: string; count: number }[] {
  const n = snap.snapshot.meta.node_fields.length;
  const fId = snap.snapshot.meta.node_fields.indexOf('id');
  const fEdges = snap.snapshot.meta.node_fields.indexOf('edge_count');
  const ef = snap.snapshot.meta.edge_fields;
  const eTypes = snap.snapshot.meta.edge_types[0];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  // First strong retainer of every node: (from node, edge label).
  const parent = new Int32Array(snap.nodes.length / n).fill(-1);
  const label: string[] = [];
  for (let i = 0, e = 0; i < snap.nodes.length; i += n) {
    const count = snap.nodes[i + fEdges]!;
    for (let k = 0; k < count; k++, e += ef.length) {
      const type = eTypes[snap.edges[e + eType]!]!;
      if (type === 'weak' || type === 'shortcut') continue;
      const to = snap.edges[e + eTo]! / n;
      if (parent[to] !== -1) continue;
      parent[to] = i / n;
      const nameOrIndex = snap.edges[e + eName]!;
      label[to] = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : `.${String(snap.strings[nameOrIndex]).slice(0, 40)}`;
    }
  }
  const chains = new Map<string, number>();
  let seen = 0;
  for (let i = 0; i < snap.nodes.length && seen < 3000; i += n) {
    if (snap.nodes[i + fId]! <= after || kindOf(snap, i) !== kind) continue;
    seen++;
    const parts: string[] = [];
    for (let at = i / n, d = 0, steps = 0; d < depth && parent[at] !== -1 && steps < 200; steps++) {
      const up = parent[at]!;
      const upKind = kindOf(snap, up * n);
      if (!upKind.startsWith('concatenated string') && !upKind.startsWith('sliced string')) {
        parts.push(`${upKind}${label[at]!.replace(/\[\d+\]/, '[i]')}`);
        d++;
      }
      at = up;
    }
    const chain = parts.join(' <- ');
    chains.set(chain, (chains.get(chain) ?? 0) + 1);
  }
  return [...chains].sort((a, b) => b[1] - a[1]).slice(0, top).map(([chain, count]) => ({ chain, count }));
}

/** The kinds that grew most from `a` to `b`. */
function growth(a: HeapKinds, b: HeapKinds, n: number): { kind: string; count: string; kb: number }[] {
  return [...b].map(([kind, e]) => {
    const was = a.get(kind) ?? { count: 0, bytes: 0 };
    return { kind, count: `${was.count}->${e.count}`, kb: Math.round((e.bytes - was.bytes) / 1024) };
  }).sort((x, y) => y.kb - x.kb).slice(0, n);
}

function proc(pid: number): { rss: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The bench entry. */
export async function run(args: string[]): Promise<Row[]> {
  const opt = (name: string, def: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
  const minutes = opt('minutes', Number(process.env.SOAK_MINUTES ?? 10));
  const sampleS = opt('sample', 30);
  const heapSnaps = opt('heap', 0);
  const snapDir = heapSnaps ? mkdtempSync(join(tmpdir(), 'rmail-soak-heap-')) : '';
  // The server child inherits the environment: snapshots on SIGUSR2, written to snapDir.
  const nodeOptions = process.env.NODE_OPTIONS;
  if (heapSnaps) process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapDir}`.trim();
  const server = await startBenchServer({
    imap: { port: 0, tls_port: null }, smtp: { port: 0, submission_port: null, submissions_port: null },
    exchange_api: { token_secret: 'cd'.repeat(32) }, log: { level: 'info', requests: false },
  });
  if (heapSnaps) {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
  }
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
  // Heap snapshots: the first after the warm-up sample, the last at the final sample, evenly between.
  const nSamples = Math.ceil((minutes * 60) / sampleS);
  const snapAt = new Set(heapSnaps ? Array.from({ length: heapSnaps }, (_, k) => (heapSnaps === 1 ? nSamples : 2 + Math.round((k * (nSamples - 2)) / (heapSnaps - 1)))) : []);
  const heaps: { t_s: number; live_mb: number; kinds: HeapKinds }[] = [];
  let holders: { kind: string; chains: { chain: string; count: number }[] }[] = [];
  let firstMaxId = 0;
  while (live()) {
    await sleep(Math.min(sampleS * 1000, Math.max(0, deadline - Date.now())));
    const p = proc(pid);
    const s: Sample = { t_s: Math.round((Date.now() - start) / 1000), ops, errors, p99_ms: Math.round(percentile(lat, 99) * 10) / 10, rss_mb: p.rss, fds: p.fds };
    if (snapAt.has(samples.length) || (heapSnaps && !live() && heaps.length < heapSnaps)) {
      const snap = await heapSnapshot(pid, snapDir);
      const h = summarize(snap);
      heaps.push({ t_s: s.t_s, live_mb: h.liveMb, kinds: h.kinds });
      s.live_heap_mb = h.liveMb; // the next interval's p99 (and RSS: the snapshot's own buffers) include the snapshot
      // Who holds what grew since the first snapshot (kept from the latest one).
      if (heaps.length === 1) firstMaxId = maxId(snap);
      else holders = growth(heaps[0]!.kinds, h.kinds, 6).filter((g) => !g.kind.startsWith('code:')).map((g) => ({ kind: g.kind, chains: retainers(snap, g.kind, firstMaxId) }));
    }
    samples.push(s);
    console.error(JSON.stringify(s));
    ops = Object.fromEntries(PROTOCOLS.map((q) => [q, 0])) as Record<Proto, number>;
    lat = [];
    errors = 0;
  }
  const heapGrowth = heaps.length > 1 ? growth(heaps[0]!.kinds, heaps.at(-1)!.kinds, 25) : [];
  if (heaps.length) {
    console.error(`live heap after GC (MB): ${heaps.map((h) => `${h.live_mb} at ${h.t_s} s`).join(', ')}`);
    for (const g of heapGrowth) console.error(`  ${g.kb > 0 ? '+' : ''}${g.kb} KB ${g.kind} (${g.count})`);
    for (const h of holders) {
      console.error(`held (${h.kind}):`);
      for (const c of h.chains) console.error(`  ${c.count} x ${c.chain}`);
    }
    rmSync(snapDir, { recursive: true, force: true });
  }
  await Promise.allSettled(loops);
  mx.close();
  const last = proc(pid);
  const peak = server.peakRssMb();
  await server.stop();
  const secs = (Date.now() - start) / 1000;
  const total = (p: Proto) => samples.reduce((n, s) => n + s.ops[p], 0);
  const out = { minutes, sample_s: sampleS, samples, rss_start_mb: first.rss, rss_end_mb: last.rss, fds_start: first.fds, fds_end: last.fds, p99_ms: percentile(allLat, 99), p50_ms: percentile(allLat, 50),
    live_heap_mb: heaps.map((h) => ({ t_s: h.t_s, mb: h.live_mb })), heap_growth: heapGrowth, heap_holders: holders };
  if (process.env.SOAK_REPORT) writeFileSync(process.env.SOAK_REPORT, JSON.stringify(out, null, 2));
  return [
    ...PROTOCOLS.map((p) => ({ name: `soak ${minutes} min: ${p}`, ops_per_s: total(p) / secs })),
    { name: `soak ${minutes} min: all`, ops_per_s: PROTOCOLS.reduce((n, p) => n + total(p), 0) / secs, p50_ms: out.p50_ms, p99_ms: out.p99_ms,
      peak_rss_mb: peak, note: `RSS ${first.rss}->${last.rss} MB, fds ${first.fds}->${last.fds}, errors ${samples.reduce((n, s) => n + s.errors, 0)}${heaps.length ? `, live heap ${heaps.map((h) => h.live_mb).join('->')} MB` : ''}` },
  ];
}
