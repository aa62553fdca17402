/**
 * IMAP bench (issue 5): rmail (child process) against Dovecot on the same messages, same client.
 * Per folder size (10,000; with `--big` also 100,000 on Dovecot mdbox): LOGIN+SELECT latency,
 * UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE) time, FETCH BODY.PEEK[] of 1,000 messages in
 * MB/s (median of five batches after a first one reported apart), 1,000 single STOREs, 1,000
 * APPENDs and 100 concurrent sessions. The STOREs also run against a second Dovecot on the same
 * store with `mail_fsync = always` (a row of its own): Dovecot's default does not fsync a flag
 * change, which we must (DESIGN: OK only once the change is on disk).
 * Both stores are filled before their server starts (rmail through its own services in this
 * process, Dovecot by writing its Maildir / `doveadm import` for mdbox), then `sync`ed (else the
 * writeback of ~400 MB written just before competes with the first rows' fsyncs: rmail's, since
 * each step runs on rmail first); both servers then run side by side and each step is measured on
 * one, then the other (measureAll). Ratios are
 * rmail / Dovecot for rates and Dovecot / rmail for times (so > 1 always means rmail is faster).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Row } from './types.js';
import { buildConfig } from '../src/main/config.js';
import { createServices } from '../src/main/serve.js';
import { silentLogger } from '../src/main/log.js';
import { tmpDir } from '../src/store/layout.js';
import { percentile } from './types.js';
import { BenchImap } from './imap-client.js';
import { startBenchServer } from './child.js';
import { imapPeerMissing, startImapPeer } from './imap-peer.js';

const USER = 'bench@example.com';
const PASS = 'bench-password';

/** A deterministic message of ~2-6 KB; every 10th is multipart with an attachment. */
export function message(i: number): Buffer {
  const body = `Line of text for message ${i}. `.repeat(20 + (i % 100)).replace(/(.{70})/g, '$1\r\n');
  const head = [
    `From: "Sender ${i % 97}" <sender${i % 97}@remote.example>`,
    'To: Bench <bench@example.com>',
    `Subject: Bench message ${i} about topic ${i % 13}`,
    `Date: ${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toUTCString()}`,
    `Message-ID: <bench-${i}@remote.example>`,
    'MIME-Version: 1.0',
  ];
  if (i % 10 !== 0) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
  return Buffer.from([
    ...head, 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', body,
    '--b', 'Content-Type: application/octet-stream; name="x.bin"', 'Content-Transfer-Encoding: base64', '',
    Buffer.alloc(1500, i % 256).toString('base64').replace(/(.{76})/g, '$1\r\n'), '--b--', '',
  ].join('\r\n'));
}

async function session(port: number): Promise<BenchImap> {
  const c = await BenchImap.open(port);
  await c.cmd(`LOGIN ${USER} ${PASS}`);
  return c;
}

/**
 * Fill rmail's store before the server starts: the same services in this process (the user's
 * actor, the mime worker, group-committed appends), so setup does not dominate the bench.
 */
export async function populateRmail(root: string, n: number): Promise<void> {
  const config = buildConfig({ mail_root: root, listen_host: '127.0.0.1', domains: ['example.com'] });
  await mkdir(tmpDir(root), { recursive: true });
  const services = createServices(config, silentLogger);
  const [user, domain] = USER.split('@');
  await services.accounts.create({ username: user, domain, password: PASS });
  for (let i = 1; i <= n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i + 1) }, (_, k) => i + k);
    await Promise.all(batch.map((j) => services.mail.append(USER, 'INBOX', { data: message(j) }, { flags: ['\\Seen'] })));
  }
  // a finished import: the journal's message bytes folded into the snapshot (their files
  // fsync'd), so the server does not start with up to 16 MB of them to check and fold
  await services.mail.checkpoint(USER);
  await services.pool.close();
  await services.actors.close();
}

/** Fill Dovecot's Maildir directly with the same messages (Dovecot indexes them on first SELECT). */
function populateMaildir(dir: string, n: number): void {
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  for (let i = 1; i <= n; i++) writeFileSync(join(dir, 'cur', `${1700000000 + i}.M${i}P1.bench:2,S`), message(i));
}

interface Result {
  loginSelectMs: number;
  fetchAllMs: number;
  fetchAllColdMs: number;
  bodyMbS: number;
  bodyColdMbS: number;
  storeOps: number;
  /** STORE latency: p50 / p99 / max ms, and the load average as the step ended. */
  storeLat: string;
  /** STOREs per second of the peer's `mail_fsync = always` twin (the same durability as ours), and its latency. */
  storeOpsFsync?: number;
  storeLatFsync?: string;
  appendOps: number;
  /** APPEND latency: p50 / p99 / max ms, and the time spent in the ones over 5 ms (what makes a run slow). */
  appendLat: string;
  /** 1-minute load average as the APPEND step ended. */
  appendLoad: number;
  concurrentMs: number;
  concurrentP50: number;
}

/**
 * Warm the bench client itself before the BODY step. No earlier step receives literals, and this
 * process still holds the garbage of populating rmail's store, so the first batch measured paid
 * for the client's compiling and collecting, whichever server it ran on (measured at 100k: with
 * Dovecot first, Dovecot's cold batch fell from 178-246 to 43 MB/s and rmail's rose). A stand-in
 * server in this process answers each command with the same 1,000 messages as a FETCH response;
 * neither measured server is touched.
 */
async function warmClient(): Promise<void> {
  const reply = Buffer.concat(Array.from({ length: 1000 }, (_, k) => {
    const m = message(k + 1);
    return Buffer.concat([Buffer.from(`* ${k + 1} FETCH (UID ${k + 1} BODY[] {${m.length}}\r\n`), m, Buffer.from(')\r\n')]);
  }));
  const server = createServer((sock) => {
    sock.on('error', () => undefined);
    sock.write('* OK stand-in\r\n');
    let pending = '';
    sock.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let nl = pending.indexOf('\r\n'); nl >= 0; nl = pending.indexOf('\r\n')) {
        const tag = pending.slice(0, pending.indexOf(' '));
        pending = pending.slice(nl + 2);
        sock.write(reply);
        sock.write(`${tag} OK done\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const c = await BenchImap.open((server.address() as AddressInfo).port);
  for (let i = 0; i < 6; i++) await c.cmd('UID FETCH 1:1000 (BODY.PEEK[])');
  await c.close();
  await new Promise((resolve) => server.close(resolve));
}

/** One measured step, run against each server in turn before the next step (see measureAll). */
type Phase = (port: number, r: Result) => Promise<void>;
/**
 * A step that measures every server itself, interleaved (see the BODY step). `fsyncPort`: the
 * peer's `mail_fsync = always` twin, the last server's result takes its figure.
 */
type SideBySide = { sideBySide(ports: number[], rs: Result[], fsyncPort?: number): Promise<void> };

/**
 * 1,000 sequential `UID STORE n +FLAGS (\Flagged)` on uids first..first+999 (unflagged before):
 * the rate, and the latency's p50 / p99 / max with the load average (on this shared machine the
 * rate swings with the disk's tail; the p50 much less).
 */
async function storeRate(port: number, first: number): Promise<{ ops: number; lat: string }> {
  const c = await session(port);
  await c.cmd('SELECT INBOX');
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = first; i < first + 1000; i++) {
    const s0 = performance.now();
    await c.cmd(`UID STORE ${i} +FLAGS (\\Flagged)`);
    lat.push(performance.now() - s0);
  }
  const ops = 1000 / ((performance.now() - t0) / 1000);
  await c.close();
  return {
    ops,
    lat: `p50 ${percentile(lat, 50).toFixed(2)} p99 ${percentile(lat, 99).toFixed(1)} max ${Math.max(...lat).toFixed(0)} ms, load ${loadavg()[0]!.toFixed(2)}`,
  };
}

const PHASES: (Phase | SideBySide)[] = [
  async (port, r) => {
    const ls: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const c = await session(port);
      await c.cmd('SELECT INBOX');
      ls.push(performance.now() - t0);
      await c.close();
    }
    r.loginSelectMs = percentile(ls, 50);
  },
  async (port, r) => {
    const c = await session(port);
    await c.cmd('SELECT INBOX');
    // The first FETCH is cold (reported apart); the figure is the median of the next seven.
    const fa: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      await c.cmd('UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)');
      fa.push(performance.now() - t0);
    }
    r.fetchAllColdMs = fa[0]!;
    r.fetchAllMs = percentile(fa.slice(1), 50);
    await c.close();
  },
  /**
   * BODY.PEEK[] batches, side by side: batch i on every server in turn, the order reversed every
   * other batch (rmail, Dovecot, Dovecot, rmail, ...), so load drifting during the step (or the
   * peer's writeback from the step before) weighs on both alike. Like FETCH 1:*, the first batch is
   * reported apart (cold: Dovecot builds its cache, a fresh rmail process still has V8 compiling
   * the FETCH path); the figure is the median of the next five. The client is warmed first
   * (warmClient), so the cold batch measures the servers.
   */
  {
    async sideBySide(ports, rs) {
      await warmClient();
      const cs = await Promise.all(ports.map(async (port) => {
        const c = await session(port);
        await c.cmd('SELECT INBOX');
        return c;
      }));
      const rates: number[][] = ports.map(() => []);
      for (let i = 0; i < 6; i++) {
        const order = i % 2 ? [...cs.keys()].reverse() : [...cs.keys()];
        for (const k of order) {
          const t0 = performance.now();
          const body = await cs[k]!.cmd(`UID FETCH ${i * 1000 + 1}:${i * 1000 + 1000} (BODY.PEEK[])`);
          rates[k]!.push(body.bytes / 1048576 / ((performance.now() - t0) / 1000));
        }
      }
      rs.forEach((r, k) => {
        r.bodyColdMbS = rates[k]![0]!;
        r.bodyMbS = percentile(rates[k]!.slice(1), 50);
      });
      for (const c of cs) await c.close();
    },
  },
  /**
   * STOREs: each server in turn on uids 1-1000, then the peer's `mail_fsync = always` twin on
   * uids 2001-3000 of the same store (1-1000 are \Flagged by then: no change, nothing to sync).
   */
  {
    async sideBySide(ports, rs, fsyncPort) {
      for (const [k, port] of ports.entries()) {
        const { ops, lat } = await storeRate(port, 1);
        rs[k]!.storeOps = ops;
        rs[k]!.storeLat = lat;
      }
      if (fsyncPort !== undefined) {
        const { ops, lat } = await storeRate(fsyncPort, 2001);
        rs[rs.length - 1]!.storeOpsFsync = ops;
        rs[rs.length - 1]!.storeLatFsync = lat;
      }
    },
  },
  async (port, r) => {
    const c = await session(port);
    await c.cmd('SELECT INBOX');
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      const s0 = performance.now();
      await c.cmd('APPEND INBOX', message(900_000 + i));
      lat.push(performance.now() - s0);
    }
    r.appendOps = 1000 / ((performance.now() - t0) / 1000);
    r.appendLoad = loadavg()[0]!;
    const slow = lat.filter((v) => v > 5);
    r.appendLat = `p50 ${percentile(lat, 50).toFixed(2)} p99 ${percentile(lat, 99).toFixed(1)} max ${Math.max(...lat).toFixed(0)} ms, `
      + `${slow.reduce((a, b) => a + b, 0).toFixed(0)} ms in ${slow.length} over 5 ms`;
    await c.close();
  },
  async (port, r) => {
    const lat: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 100 }, async () => {
      const s0 = performance.now();
      const s = await session(port);
      await s.cmd('SELECT INBOX');
      await s.cmd('FETCH 1:50 (UID FLAGS ENVELOPE)');
      await s.close();
      lat.push(performance.now() - s0);
    }));
    r.concurrentMs = performance.now() - t0;
    r.concurrentP50 = percentile(lat, 50);
  },
];

/**
 * Measure every server on the same workload, step by step: each step runs against every server
 * before the next step starts, so rmail and its peer see the machine's load seconds apart, not
 * minutes (the machine is shared; ratios are what the bench reports). The BODY step interleaves
 * its batches across the servers (SideBySide).
 */
export async function measureAll(ports: number[], fsyncPort?: number): Promise<Result[]> {
  const results = ports.map(() => ({}) as Result);
  for (const [k, phase] of PHASES.entries()) {
    if ('sideBySide' in phase) {
      console.error(`imap bench: step ${k + 1} side by side: ${dirtyKb()}`);
      await phase.sideBySide(ports, results, fsyncPort);
      continue;
    }
    for (let i = 0; i < ports.length; i++) {
      console.error(`imap bench: step ${k + 1} server ${i + 1}: ${dirtyKb()}`);
      await phase(ports[i]!, results[i]!);
    }
  }
  return results;
}

/**
 * Appends + fdatasync per second on a small file in the mail root's file system: the floor under
 * any durable STORE (rmail acknowledges a flag change once its journal line is fsync'd; Dovecot
 * does not fsync flag changes by default).
 */
function fsyncPerSecond(dir: string): number {
  const path = join(dir, 'fsync-probe');
  const fd = openSync(path, 'a');
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    writeSync(fd, 'a flag change journal line of about sixty bytes, like ours\n');
    fdatasyncSync(fd);
  }
  const rate = 1000 / ((performance.now() - t0) / 1000);
  closeSync(fd);
  rmSync(path, { force: true });
  return rate;
}

function rows(n: number, r: Result, d: Result | null, peerName: string, rss: number, fsyncRate: number): Row[] {
  const k = n >= 1000 ? `${n / 1000}k` : String(n);
  const ratio = (x: number, y: number | undefined, higherBetter: boolean, peer = peerName): string =>
    y === undefined ? 'no peer' : `${peer} ${y.toFixed(1)}; x${(higherBetter ? x / y : y / x).toFixed(2)}`;
  return [
    { name: `imap ${k}: LOGIN+SELECT`, p50_ms: r.loginSelectMs, peak_rss_mb: rss, note: ratio(r.loginSelectMs, d?.loginSelectMs, false) + ' ms' },
    { name: `imap ${k}: UID FETCH 1:* envelopes`, p50_ms: r.fetchAllMs, note: `${ratio(r.fetchAllMs, d?.fetchAllMs, false)} ms` },
    { name: `imap ${k}: first (cold) UID FETCH 1:*`, p50_ms: r.fetchAllColdMs, note: `${ratio(r.fetchAllColdMs, d?.fetchAllColdMs, false)} ms` },
    { name: `imap ${k}: first (cold) BODY.PEEK[] x1000`, ops_per_s: r.bodyColdMbS, note: `MB/s; ${ratio(r.bodyColdMbS, d?.bodyColdMbS, true)} MB/s` },
    { name: `imap ${k}: BODY.PEEK[] x1000`, ops_per_s: r.bodyMbS, note: `MB/s; ${ratio(r.bodyMbS, d?.bodyMbS, true)} MB/s` },
    {
      name: `imap ${k}: 1000 single STOREs`, ops_per_s: r.storeOps,
      note: `${ratio(r.storeOps, d?.storeOps, true)}/s; fsync floor ${fsyncRate.toFixed(0)}/s; rmail ${r.storeLat}${d ? `; ${peerName} ${d.storeLat}` : ''}`,
    },
    ...(d?.storeOpsFsync === undefined ? [] : [{
      name: `imap ${k}: 1000 single STOREs (Dovecot mail_fsync=always)`, ops_per_s: r.storeOps,
      note: `${ratio(r.storeOps, d.storeOpsFsync, true, `${peerName} mail_fsync=always`)}/s (its uids 2001-3000); it: ${d.storeLatFsync}`,
    }]),
    {
      name: `imap ${k}: 1000 APPENDs`, ops_per_s: r.appendOps,
      note: `${ratio(r.appendOps, d?.appendOps, true)}/s; rmail ${r.appendLat}${d ? `; ${peerName} ${d.appendLat}` : ''}; load ${r.appendLoad.toFixed(2)}`,
    },
    { name: `imap ${k}: 100 concurrent sessions`, ops_per_s: 100 / (r.concurrentMs / 1000), p50_ms: r.concurrentP50, note: ratio(r.concurrentMs, d?.concurrentMs, false) + ' ms total' },
  ];
}

/** Dirty and Writeback of /proc/meminfo (page cache not yet on disk). */
function dirtyKb(): string {
  const info = readFileSync('/proc/meminfo', 'utf8');
  return `Dirty ${/Dirty:\s+(\d+)/.exec(info)?.[1]} kB, Writeback ${/Writeback:\s+(\d+)/.exec(info)?.[1]} kB`;
}

/** Write every dirty page to disk and wait (`sync`). */
function settle(): void {
  const t0 = Date.now();
  const before = dirtyKb();
  execFileSync('sync');
  console.error(`imap bench: sync after populating took ${Date.now() - t0} ms (before: ${before})`);
}

/** Run the IMAP bench (`--big` adds the 100,000-message folder; `--n=N` runs one size). */
export async function run(args: string[]): Promise<Row[]> {
  const nArg = args.find((a) => a.startsWith('--n='));
  const sizes = nArg ? [Number(nArg.slice(4))] : args.includes('--big') ? [10_000, 100_000] : [10_000];
  const missing = imapPeerMissing();
  const out: Row[] = [];
  for (const n of sizes) {
    const root = mkdtempSync(join(tmpdir(), 'rmail-imap-bench-'));
    const format = n >= 100_000 ? 'mdbox' : 'maildir';
    let server: Awaited<ReturnType<typeof startBenchServer>> | null = null;
    let dv: Awaited<ReturnType<typeof startImapPeer>> | null = null;
    let dvFsync: Awaited<ReturnType<typeof startImapPeer>> | null = null;
    try {
      const t0 = Date.now();
      await populateRmail(root, n);
      console.error(`imap bench: rmail ${n} messages stored in ${Date.now() - t0} ms`);
      server = await startBenchServer({ mail_root: root, imap: { port: 0, tls_port: null }, workers: { threads: 1 } });
      for (let i = 0; i < 100 && !server.ports.imap; i++) await new Promise((r) => setTimeout(r, 100));
      if (!missing) dv = await startImapPeer(USER, PASS, format, (maildir) => populateMaildir(maildir, n));
      // the STORE step's equal-durability peer: a second Dovecot on the same store (stopped with dv;
      // it flags uids 2001-3000)
      if (dv && n >= 3000) dvFsync = await dv.variant('mail_fsync = always');
      // Both stores were just written (100,000 files each, and Dovecot's import into mdbox): flush
      // that to disk now, so its writeback does not compete with the measured rows' fsyncs.
      settle();
      const [result, peer] = await measureAll(dv ? [server.ports.imap!, dv.port] : [server.ports.imap!], dvFsync?.port);
      const rss = server.peakRssMb();
      out.push(...rows(n, result!, peer ?? null, `dovecot-${format}`, rss, fsyncPerSecond(root)));
    } finally {
      dv?.stop();
      await server?.stop();
      rmSync(root, { recursive: true, force: true });
    }
    if (missing) out.push({ name: 'imap: dovecot peer', note: missing });
  }
  return out;
}
