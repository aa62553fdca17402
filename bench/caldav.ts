/**
 * CalDAV (issue 6) against Radicale and Cyrus's CalDAV in the same run (bench/caldav-peers.ts),
 * on a 5,000-event calendar (20% recurring): PUT rate at concurrency 1 and 16, one-month
 * time-range REPORT with expand (p50/p99), initial sync-collection, calendar-multiget of 100,
 * PROPFIND Depth 1. The PUT rates are measured into the already filled calendar: rmail and Cyrus
 * are filled by PUT, Radicale by writing its storage files (its PUT slows with the collection,
 * so it gets 10 + 40 measured PUTs instead of 300 + 1,000; the calendar ends at N events for all).
 * The servers run side by side and the read rows are sampled interleaved across them, so load
 * drift on a shared machine hits all alike; a server slower than 8 s per row stops after 2 samples.
 * Each read row starts with one untimed request per server (caches, threads, JIT) whose time is
 * reported in the note as "first"; p50/p99 are over the samples after it.
 * rmail runs as a child (`rmail serve`, plain HTTP, Basic auth). Each rmail row's note carries
 * every peer's figure and the ratio against the better peer (>1 = rmail faster).
 * `--events=N` changes the calendar size (default 5000); `--no-peers` runs rmail only. Loopback only, bounded.
 */
import http from 'node:http';
import { percentile, type Row } from './types.js';
import { startBenchServer, cli } from './child.js';
import { startCyrus, startRadicale, type CaldavTarget, type Peer } from './caldav-peers.js';

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

async function putRange(t: CaldavTarget, from: number, to: number, concurrency: number): Promise<{ rate: number; p50: number; p99: number; errors: number }> {
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

const QUERY = `<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>`
  + `<C:calendar-data><C:expand start="20260601T000000Z" end="20260701T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR">`
  + `<C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z" end="20260701T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`;
const SYNC = `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
const PROPFIND = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:getetag/><D:getcontenttype/><D:resourcetype/><CS:getctag/></D:prop></D:propfind>`;

function multiget(t: CaldavTarget, n: number): string {
  const path = new URL(t.cal).pathname;
  const hrefs = Array.from({ length: 100 }, (_, k) => `<D:href>${path}bench-${(k * 37) % n}.ics</D:href>`).join('');
  return `<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>${hrefs}</C:calendar-multiget>`;
}

const count = (text: string, s: string) => text.split(s).length - 1;

/** Samples per read row, and the time after which a slow target stops sampling (with at least 2 samples). */
const SAMPLES = { query: 15, sync: 10, multiget: 20, propfind: 10 };
const BUDGET_MS = 8000;

interface ReadRow {
  key: string;
  samples: number;
  request: (t: CaldavTarget) => () => Promise<{ status: number; text: string }>;
  check: (t: CaldavTarget, r: { status: number; text: string }) => string | null;
}

/**
 * Time the read rows with the targets interleaved sample by sample (so drifting machine load
 * hits every server alike); a target whose samples exceed BUDGET_MS stops early.
 */
async function readRows(targets: CaldavTarget[], n: number, out: Map<string, Map<string, Row>>): Promise<void> {
  const dav = (t: CaldavTarget, method: string, body: string) => () => req(t.cal, method, { ...t.headers, depth: '1', 'content-type': 'application/xml; charset=utf-8' }, body);
  const rows: ReadRow[] = [
    { key: 'month REPORT expand', samples: SAMPLES.query, request: (t) => dav(t, 'REPORT', QUERY), check: (_, r) => (r.status === 207 ? `${count(r.text, 'BEGIN:VEVENT')} VEVENTs` : null) },
    { key: 'initial sync-collection', samples: SAMPLES.sync, request: (t) => dav(t, 'REPORT', SYNC), check: (_, r) => (r.status === 207 && count(r.text, '.ics<') >= n ? '' : null) },
    { key: 'multiget 100', samples: SAMPLES.multiget, request: (t) => dav(t, 'REPORT', multiget(t, n)), check: (_, r) => (r.status === 207 && count(r.text, 'BEGIN:VCALENDAR') === 100 ? '' : null) },
    { key: 'PROPFIND Depth 1', samples: SAMPLES.propfind, request: (t) => dav(t, 'PROPFIND', PROPFIND), check: (_, r) => (r.status === 207 && count(r.text, '.ics<') >= n ? '' : null) },
  ];
  for (const row of rows) {
    const lat = targets.map(() => [] as number[]);
    const spent = targets.map(() => 0);
    const notes = targets.map(() => '' as string | null);
    const fns = targets.map((t) => row.request(t));
    // one untimed first request per server (caches, worker threads, JIT), reported as "first"
    const first: number[] = [];
    for (const fn of fns) {
      const s = performance.now();
      await fn();
      first.push(performance.now() - s);
    }
    for (let i = 0; i < row.samples; i++) {
      for (let k = 0; k < targets.length; k++) {
        if (i >= 2 && spent[k]! > BUDGET_MS) continue;
        const s = performance.now();
        const r = await fns[k]!();
        const ms = performance.now() - s;
        lat[k]!.push(ms);
        spent[k]! += ms;
        const note = row.check(targets[k]!, r);
        notes[k] = note === null ? 'FAILED' : notes[k] === 'FAILED' ? 'FAILED' : note;
      }
    }
    targets.forEach((t, k) => {
      const few = lat[k]!.length < row.samples ? `${lat[k]!.length} samples` : '';
      const cold = `first ${first[k]!.toFixed(0)} ms`;
      out.get(t.name)!.set(row.key, { name: '', p50_ms: percentile(lat[k]!, 50), p99_ms: percentile(lat[k]!, 99), note: [notes[k], few, cold].filter(Boolean).join(', ') });
    });
  }
}

/** Fill each target, measure its PUTs into the filled calendar, then the interleaved read rows. */
async function workload(targets: CaldavTarget[], n: number): Promise<Map<string, Map<string, Row>>> {
  const out = new Map(targets.map((t) => [t.name, new Map<string, Row>()]));
  for (const t of targets) {
    // the calendar is filled to n - (measured PUTs) first, then the PUTs are measured into it
    const base = Math.max(0, n - t.puts.c1 - t.puts.c16);
    if (t.populate) await t.populate(0, base, eventIcs);
    else await putRange(t, 0, base, 16);
    // one untimed read of the whole calendar first: a server filled behind its back (Radicale)
    // builds its item cache here rather than inside the first measured PUT
    await req(t.cal, 'REPORT', { ...t.headers, depth: '1', 'content-type': 'application/xml; charset=utf-8' }, SYNC);
    const p1 = await putRange(t, base, base + t.puts.c1, 1);
    out.get(t.name)!.set('PUT c=1', { name: '', ops_per_s: p1.rate, p50_ms: p1.p50, p99_ms: p1.p99, note: p1.errors ? `${p1.errors} errors` : `${t.puts.c1} PUTs` });
    const p16 = await putRange(t, base + t.puts.c1, n, 16);
    out.get(t.name)!.set('PUT c=16', { name: '', ops_per_s: p16.rate, p50_ms: p16.p50, p99_ms: p16.p99, note: p16.errors ? `${p16.errors} errors` : `${t.puts.c16} PUTs` });
  }
  await readRows(targets, n, out);
  for (const t of targets) for (const r of out.get(t.name)!.values()) r.peak_rss_mb = t.peakRssMb();
  return out;
}

/** Run the CalDAV bench: rmail and its peers running side by side; rows with ratios against the better peer in the note. */
export async function run(args: string[]): Promise<Row[]> {
  const n = Number(args.find((a) => a.startsWith('--events='))?.slice(9) ?? 5000);
  const server = await startBenchServer();
  const running: Peer[] = [];
  const skipped: Row[] = [];
  let results: Map<string, Map<string, Row>>;
  try {
    if ((await cli(server.configFile, ['user', 'add', 'bench@example.com', '--password', 'bench-pw'])) !== 0) throw new Error('user add failed');
    const headers = { authorization: `Basic ${Buffer.from('bench@example.com:bench-pw').toString('base64')}` };
    const ours: CaldavTarget = {
      name: 'rmail', cal: `http://127.0.0.1:${server.ports.http}/caldav/bench/calendars/default/`, headers, peakRssMb: server.peakRssMb,
      puts: { c1: 300, c16: 1000 },
    };
    if (!args.includes('--no-peers')) {
      const starters: [string, () => Promise<Peer | { missing: string } | null>][] = [['radicale', () => startRadicale(req)], ['cyrus', () => startCyrus(req)]];
      for (const [name, start] of starters) {
        const peer = await start();
        if (peer && !('missing' in peer)) running.push(peer);
        else skipped.push({ name: `caldav: ${name}`, note: `not run: ${peer ? peer.missing : 'not installed'}` });
      }
    }
    results = await workload([ours, ...running.map((p) => p.target)], n);
  } finally {
    await server.stop();
    for (const p of running) await p.stop();
  }
  const peers = [...results].filter(([name]) => name !== 'rmail');
  const rows: Row[] = [];
  for (const [key, r] of results.get('rmail')!) {
    const notes: string[] = r.note ? [r.note] : [];
    // ×: rmail's advantage over each peer (>1 = rmail faster); "vs best" against the better peer
    let best: number | null = null;
    for (const [peer, m] of peers) {
      const p = m.get(key)!;
      if (r.ops_per_s !== undefined && p.ops_per_s) {
        const x = r.ops_per_s / p.ops_per_s;
        notes.push(`${peer} ${p.ops_per_s.toFixed(0)}/s ×${x.toFixed(2)}`);
        best = best === null ? x : Math.min(best, x);
      } else if (r.p50_ms !== undefined && p.p50_ms) {
        const x = p.p50_ms / r.p50_ms;
        notes.push(`${peer} p50 ${p.p50_ms.toFixed(1)} ms ×${x.toFixed(2)}${p.note ? ` (${p.note})` : ''}`);
        best = best === null ? x : Math.min(best, x);
      }
    }
    if (best !== null && peers.length > 1) notes.push(`vs best ×${best.toFixed(2)}`);
    rows.push({ ...r, name: `caldav: ${key} (${n} events)`, note: notes.join('; ') });
  }
  for (const [peer, m] of peers) {
    for (const [key, p] of m) rows.push({ ...p, name: `  ${peer}: ${key}` });
  }
  return [...rows, ...skipped];
}
