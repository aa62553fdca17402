/**
 * Drive (issue 7) against Apache mod_dav in the same run, row by row (PUT rows in halves ordered
 * rmail, apache, apache, rmail; PROPFIND rounds likewise): PUT of 1,000 × 4 KB files at
 * concurrency 1 and 16, GET of a 1 GB file (MB/s, server peak RSS during the GET: the peak is
 * reset after the upload; the upload-inclusive peak is in the note), PROPFIND Depth 1 (XML
 * allprop) on a directory of 1,000 files. rmail runs as a child (`rmail serve`, plain HTTP,
 * Basic auth, cached); Apache runs as a child on a 127.0.0.1 high port with a temp config and
 * no auth (Debian apache2; the system service is never touched). Loopback only, bounded.
 * `--gb=N` sets the big file size in GB (default 1), `--files=N` the file count (default 1000),
 * `--rows=put1,put16,propfind,get` the rows to run (default all; propfind needs put16),
 * `--get-rounds=N` how many GETs of the big file per server (default 3: one 0.4 s GET is noise, Apache
 * alone swung 2,031-2,802 MB/s between rounds; in turn A B B A ..., the row reports the median
 * round's MB/s and the note the spread, lowest-highest). Every row's note gives the 1-minute load
 * average as the row ended.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';
import http from 'node:http';
import { Readable } from 'node:stream';
import { percentile, type Row } from './types.js';
import { startBenchServer, cli } from './child.js';

interface Target {
  name: string;
  base: string;
  headers: Record<string, string>;
  peakRssMb(): number;
  /** The server's process ids (to reset their peak RSS before a row). */
  pids(): number[];
}

/** Reset the peak RSS (VmHWM) of `pids` to their current RSS (Linux clear_refs 5). */
function resetPeak(pids: number[]): void {
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch { /* gone, or not permitted: the peak then covers the whole run */ }
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request over keep-alive; resolves with status and byte count (body discarded). */
function req(url: string, method: string, headers: Record<string, string>, body?: Buffer | Readable, length?: number): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (body instanceof Buffer) h['content-length'] = String(body.length);
    else if (length !== undefined) h['content-length'] = String(length);
    const r = http.request(url, { method, headers: h, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode!, bytes }));
      res.on('error', reject);
    });
    r.on('error', reject);
    if (body instanceof Readable) body.pipe(r);
    else r.end(body);
  });
}

/**
 * GET `url` over a raw socket, counting the body's bytes into one reused buffer: for the big
 * file, node's http client (a parser callback and a fresh Buffer per 64 KB) cost 0.5-1.2 s of
 * CPU per GB against 0.12-0.22 s for this, on a 2-core machine where the client competes with
 * the server it measures. Used for both servers alike. Needs a Content-Length reply.
 */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  const u = new URL(url);
  const buffer = Buffer.allocUnsafe(256 * 1024);
  return new Promise((resolve, reject) => {
    let head = '';
    let status = 0;
    let length = -1;
    let bytes = 0;
    const sock = connect({
      host: u.hostname, port: Number(u.port),
      onread: {
        buffer,
        callback: (n: number): boolean => {
          if (length < 0) {
            head += buffer.toString('latin1', 0, n);
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) return true;
            status = Number(head.slice(9, 12));
            const cl = /\r\ncontent-length: *(\d+)/i.exec(head.slice(0, end));
            if (!cl) {
              sock.destroy();
              reject(new Error(`no Content-Length (status ${status})`));
              return false;
            }
            length = Number(cl[1]);
            bytes = head.length - end - 4;
          } else bytes += n;
          if (bytes >= length) {
            sock.destroy();
            resolve({ status, bytes });
          }
          return true;
        },
      },
    });
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`closed after ${bytes} of ${length} bytes`)));
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    sock.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n${lines}\r\n`);
  });
}

/** Latencies, errors and seconds of a PUT row so far (it runs in halves, interleaved with the peer's). */
interface PutTally { lat: number[]; errors: number; secs: number }

/** PUT files `from`..`to`-1 of a row into `dir` at `concurrency`, adding to `tally`. */
async function putRange(t: Target, dir: string, from: number, to: number, concurrency: number, tally: PutTally): Promise<void> {
  const data = Buffer.alloc(4096, 'x');
  if (from === 0) await req(`${t.base}/${dir}/`, 'MKCOL', t.headers);
  let next = from;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < to) {
      const i = next++;
      const t0 = performance.now();
      const r = await req(`${t.base}/${dir}/f${i}.bin`, 'PUT', t.headers, data);
      if (r.status >= 300) tally.errors++;
      tally.lat.push(performance.now() - t0);
    }
  }));
  tally.secs += (performance.now() - started) / 1000;
}

/**
 * One PUT row for both servers, in halves ordered A B B A (the first half of each into an empty
 * directory, the second half on top of it), so a change of machine load during the row hits
 * both alike.
 */
async function putRows(targets: Target[], dir: string, n: number, concurrency: number): Promise<Row[]> {
  const tallies = targets.map((): PutTally => ({ lat: [], errors: 0, secs: 0 }));
  const half = Math.floor(n / 2);
  for (let i = 0; i < targets.length; i++) await putRange(targets[i]!, dir, 0, half, concurrency, tallies[i]!);
  for (let i = targets.length - 1; i >= 0; i--) await putRange(targets[i]!, dir, half, n, concurrency, tallies[i]!);
  return targets.map((t, i) => {
    const y = tallies[i]!;
    return { name: `${t.name}: PUT ${n} × 4 KB, c=${concurrency}`, ops_per_s: n / y.secs, p50_ms: percentile(y.lat, 50), p99_ms: percentile(y.lat, 99), note: y.errors ? `${y.errors} errors` : undefined };
  });
}

function zeros(bytes: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

/** Upload the big file to `t` (before its GET rounds); an error note when it failed. */
async function bigPut(t: Target, bytes: number): Promise<string | undefined> {
  const put = await req(`${t.base}/big.bin`, 'PUT', t.headers, zeros(bytes), bytes).catch((e: Error) => ({ status: 599, bytes: 0, err: e.message }));
  return put.status >= 300 ? `upload failed ${put.status}` : undefined;
}

/** GET tallies of one server: MB/s of each round, peaks. */
interface GetTally { each: number[]; uploadPeak: number; peak: number; growth: number; failed?: string }

/** One GET of the big file from `t`, adding to `y` (peak RSS reset before it). */
async function bigGet(t: Target, bytes: number, y: GetTally): Promise<void> {
  resetPeak(t.pids());
  const before = largestMb(t.pids(), 'VmRSS');
  const t0 = performance.now();
  const r = await rawGet(`${t.base}/big.bin`, t.headers).catch((e: Error) => ({ status: 599, bytes: 0, err: e.message }));
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 200 || r.bytes !== bytes) {
    y.failed = `download failed ${r.status}, ${r.bytes} bytes`;
    return;
  }
  y.each.push(r.bytes / 1048576 / secs);
  const peak = t.peakRssMb();
  y.peak = Math.max(y.peak, peak);
  y.growth = Math.max(y.growth, peak - before);
}

/** The GET row for both servers: upload each, then `rounds` GETs each in turn A B B A .... */
async function getRows(targets: Target[], bytes: number, rounds: number): Promise<Row[]> {
  const tallies = targets.map((): GetTally => ({ each: [], uploadPeak: 0, peak: 0, growth: 0 }));
  for (let i = 0; i < targets.length; i++) {
    tallies[i]!.failed = await bigPut(targets[i]!, bytes);
    tallies[i]!.uploadPeak = targets[i]!.peakRssMb();
  }
  for (let k = 0; k < rounds; k++) {
    const order = k % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) if (!tallies[i]!.failed) await bigGet(targets[i]!, bytes, tallies[i]!);
  }
  return targets.map((t, i) => {
    const y = tallies[i]!;
    const name = `${t.name}: GET ${bytes >> 20} MB file`;
    if (y.failed) return { name, note: y.failed };
    const spread = y.each.length > 1 ? `rounds ${Math.round(Math.min(...y.each))}-${Math.round(Math.max(...y.each))} MB/s over ${y.each.length}; ` : '';
    return {
      name, ops_per_s: percentile(y.each, 50), peak_rss_mb: y.peak,
      note: `median round's MB/s (ops/s column; raw-socket client); ${spread}peak RSS during the GETs, at most ${y.growth} MB above the RSS each began with (${y.uploadPeak} MB peak up to and including its upload)`,
    };
  });
}

async function propfind(t: Target, dir: string, rounds: number): Promise<Row> {
  const body = Buffer.from('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>');
  const h = { ...t.headers, depth: '1', 'content-type': 'application/xml' };
  const lat: number[] = [];
  let size = 0;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = await req(`${t.base}/${dir}/`, 'PROPFIND', h, body);
    size = r.bytes;
    lat.push(performance.now() - t0);
  }
  const secs = (performance.now() - started) / 1000;
  return { name: `${t.name}: PROPFIND Depth 1, 1,000 files`, ops_per_s: rounds / secs, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), note: `${Math.round(size / 1024)} KB multistatus` };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The largest `field` (VmHWM: peak RSS, VmRSS: RSS now) of the processes `pids`, MB. */
function largestMb(pids: number[], field: 'VmHWM' | 'VmRSS'): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb = Math.max(kb, Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch { /* gone */ }
  }
  return Math.round(kb / 1024);
}

export async function startApache(): Promise<{ target: Target; stop(): Promise<void> } | null> {
  if (!existsSync('/usr/sbin/apache2') || !existsSync('/usr/lib/apache2/modules/mod_dav_fs.so')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'rmail-bench-apache-'));
  chmodSync(dir, 0o755);
  const docs = join(dir, 'dav');
  mkdirSync(docs);
  spawnSync('chown', ['-R', 'www-data:www-data', dir]);
  const port = await freePort();
  const mods = ['mpm_event', 'authz_core', 'dav', 'dav_fs', 'dav_lock'].map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`).join('\n');
  const conf = join(dir, 'httpd.conf');
  writeFileSync(conf, `ServerRoot ${dir}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
${mods}
User www-data
Group www-data
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
DAVLockDB ${dir}/DAVLock
DocumentRoot ${docs}
KeepAlive On
MaxKeepAliveRequests 0
<Directory ${docs}>
  Dav On
  Require all granted
</Directory>
`);
  const child: ChildProcess = spawn('/usr/sbin/apache2', ['-f', conf, '-DFOREGROUND'], { stdio: 'ignore', detached: true });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await req(`${base}/`, 'OPTIONS', {}).then(() => true, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const pids = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[3] === String(child.pid) || p === child.pid;
    } catch {
      return false;
    }
  });
  return {
    target: { name: 'apache mod_dav', base, headers: {}, peakRssMb: () => largestMb(pids(), 'VmHWM'), pids },
    stop: async () => {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Ratio note: rmail value / apache value. */
function ratio(ours: Row, theirs: Row | undefined): void {
  if (!theirs?.ops_per_s || !ours.ops_per_s) return;
  const r = ours.ops_per_s / theirs.ops_per_s;
  ours.note = `${ours.note ? `${ours.note}; ` : ''}${r.toFixed(2)}× apache`;
}

/** Run the drive bench. */
export async function run(args: string[]): Promise<Row[]> {
  const gb = Number(args.find((a) => a.startsWith('--gb='))?.slice(5) ?? 1);
  const files = Number(args.find((a) => a.startsWith('--files='))?.slice(8) ?? 1000);
  const big = Math.round(gb * 1024 * 1024 * 1024);
  const only = args.find((a) => a.startsWith('--rows='))?.slice(7).split(',');
  const wanted = (row: string) => !only || only.includes(row);
  const getRounds = Number(args.find((a) => a.startsWith('--get-rounds='))?.slice(13) ?? 3);
  const server = await startBenchServer({ log: { level: 'info', requests: false } });
  const apache = await startApache();
  const rows: Row[] = [];
  try {
    await cli(server.configFile, ['user', 'add', 'bench@example.com', '--password', 'benchpw', '--quota-mb', '1048576']);
    const ours: Target = {
      name: 'rmail', base: `http://127.0.0.1:${server.ports.http}/drive`,
      headers: { authorization: `Basic ${Buffer.from('bench@example.com:benchpw').toString('base64')}` },
      peakRssMb: () => server.peakRssMb(),
      pids: () => [server.child.pid!],
    };
    const targets = apache ? [ours, apache.target] : [ours];
    const results: Record<string, Row[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    // Each row notes the machine's 1-minute load average as it ends (the figures mean little
    // without it on a shared machine).
    const add = (rows: Row[]) => {
      const load = `load ${loadavg()[0]!.toFixed(2)}`;
      rows.forEach((row, i) => results[targets[i]!.name]!.push({ ...row, note: row.note ? `${row.note}; ${load}` : load }));
    };
    // Row by row, the servers side by side (PUT rows interleaved A B B A; the others in turn, then
    // in reverse for PROPFIND), so the machine's load at the time is shared.
    if (wanted('put1')) {
      console.error('drive bench: PUT c=1');
      add(await putRows(targets, 'c1', files, 1));
    }
    if (wanted('put16') || wanted('propfind')) {
      console.error('drive bench: PUT c=16');
      const put16 = await putRows(targets, 'c16', files, 16);
      if (wanted('put16')) add(put16);
    }
    if (wanted('propfind')) {
      console.error('drive bench: PROPFIND');
      const rounds: Row[][] = targets.map(() => []);
      for (let i = 0; i < targets.length; i++) rounds[i]!.push(await propfind(targets[i]!, 'c16', 25));
      for (let i = targets.length - 1; i >= 0; i--) rounds[i]!.push(await propfind(targets[i]!, 'c16', 25));
      add(rounds.map((r) => ({
        ...r[0]!,
        ops_per_s: 2 / (1 / r[0]!.ops_per_s! + 1 / r[1]!.ops_per_s!),
        p50_ms: (r[0]!.p50_ms! + r[1]!.p50_ms!) / 2,
        p99_ms: Math.max(r[0]!.p99_ms!, r[1]!.p99_ms!),
      })));
    }
    if (wanted('get')) {
      console.error('drive bench: big file');
      add(await getRows(targets, big, getRounds));
    }
    const mine = results['rmail']!;
    const theirs = results['apache mod_dav'];
    mine.forEach((row, i) => ratio(row, theirs?.[i]));
    rows.push(...mine, ...(theirs ?? [{ name: 'apache mod_dav', note: 'not installed: apt-get install -y apache2' }]));
    return rows;
  } finally {
    agent.destroy();
    await server.stop();
    await apache?.stop();
  }
}
