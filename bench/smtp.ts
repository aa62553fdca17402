/**
 * SMTP inbound (issue 4): 2,000 messages of 10 KB over 8 connections to the MX port, every message
 * durable before its 250. Measures msg/s accepted (250 after DATA, with p50/p99 per message) and
 * msg/s visible (rmail: the HTTP API's INBOX totals; the peer: files in the Dovecot maildirs), for
 * rmail (server as a child process) and for Postfix → LMTP → Dovecot on temp configs, as ratios.
 * The two sides run in rounds ordered rmail, Postfix, Postfix, rmail (`--rounds=2`; 1 for one
 * each), so a machine whose load drifts during the run weighs on both alike; each row pools
 * its side's rounds (messages over summed durations, percentiles over all latencies).
 */
import type { Row } from './types.js';
import { percentile } from './types.js';
import { startBenchServer, cli } from './child.js';
import { smtpLoad, whenCount, type LoadResult } from './smtp-load.js';
import { peerMissing, startPeer } from './smtp-peer.js';

const USERS = 10;

interface Outcome {
  messages: number;
  load: LoadResult;
  visibleAt: number | null;
  peakMb?: number;
}

const rate = (n: number, ms: number) => (n * 1000) / Math.max(1, ms);

async function runRmail(messages: number, connections: number, size: number): Promise<Outcome> {
  // The server child runs cli.js directly: give it the thread pool `rmail`/`npm start` give it (bin/rmail.cjs).
  process.env.UV_THREADPOOL_SIZE ??= '32';
  const server = await startBenchServer({ smtp: { port: 0, submission_port: null, submissions_port: null } });
  try {
    for (let i = 0; i < 50 && !server.ports.smtp; i++) await new Promise((r) => setTimeout(r, 100));
    const users = Array.from({ length: USERS }, (_, i) => `u${i}@example.com`);
    for (const u of users) await cli(server.configFile, ['user', 'add', u, '--password', 'benchpw']);
    const base = `http://127.0.0.1:${server.ports.http}`;
    const tokens: string[] = [];
    for (const u of users) {
      const r = await fetch(`${base}/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: 'benchpw' }),
      });
      tokens.push(((await r.json()) as { token: string }).token);
    }
    const count = async () => {
      let n = 0;
      for (const token of tokens) {
        const r = await fetch(`${base}/folders/INBOX/messages?limit=1`, { headers: { authorization: `Bearer ${token}` } });
        if (r.status !== 200) throw new Error(`GET /folders/INBOX/messages: ${r.status}`);
        n += ((await r.json()) as { total: number }).total;
      }
      return n;
    };
    const visible = whenCount(count, messages, 200, 180_000).catch(() => null);
    const load = await smtpLoad(server.ports.smtp!, { messages, connections, size, rcpts: users });
    return { messages, load, visibleAt: await visible, peakMb: server.peakRssMb() };
  } finally {
    await server.stop();
  }
}

async function runPeer(messages: number, connections: number, size: number): Promise<Outcome> {
  const peer = await startPeer('example.com');
  try {
    const users = Array.from({ length: USERS }, (_, i) => `u${i}@example.com`);
    const visible = whenCount(() => peer.delivered(users), messages, 200, 180_000);
    const load = await smtpLoad(peer.smtpPort, { messages, connections, size, rcpts: users });
    return { messages, load, visibleAt: await visible };
  } finally {
    peer.stop();
  }
}

/** The rounds of one side as one outcome: durations summed, latencies pooled. */
function pooled(runs: Outcome[]): { accepted: number; visible?: number; latencies: number[]; errors: number; firstError?: string; peakMb?: number } {
  const latencies = runs.flatMap((o) => o.load.latencies);
  const acceptMs = runs.reduce((n, o) => n + (o.load.end - o.load.start), 0);
  const allVisible = runs.every((o) => o.visibleAt !== null);
  const visibleMs = runs.reduce((n, o) => n + ((o.visibleAt ?? 0) - o.load.start), 0);
  const peaks = runs.map((o) => o.peakMb).filter((m): m is number => m !== undefined);
  return {
    accepted: rate(latencies.length, acceptMs),
    visible: allVisible ? rate(runs.length * (runs[0]?.messages ?? 0), visibleMs) : undefined,
    latencies,
    errors: runs.reduce((n, o) => n + o.load.errors, 0),
    firstError: runs.find((o) => o.load.firstError)?.load.firstError,
    peakMb: peaks.length ? Math.max(...peaks) : undefined,
  };
}

function rows(label: string, runs: Outcome[], messages: number): Row[] {
  const o = pooled(runs);
  const rounds = runs.length > 1 ? `, ${runs.length} rounds` : '';
  const out: Row[] = [{
    name: `smtp: ${label} accept (${messages}×10 KB, 8 conns${rounds})`, ops_per_s: o.accepted,
    p50_ms: percentile(o.latencies, 50), p99_ms: percentile(o.latencies, 99), peak_rss_mb: o.peakMb,
    note: o.errors ? `${o.errors} errors: ${o.firstError}` : undefined,
  }];
  out.push({
    name: `smtp: ${label} visible`, ops_per_s: o.visible,
    note: o.visible ? undefined : 'not all messages became visible within 180 s',
  });
  return out;
}

/** `--messages=N` (default 2000), `--connections=N` (8), `--size=BYTES` (10240), `--rounds=N` (2 per side). */
export async function run(args: string[]): Promise<Row[]> {
  const arg = (k: string, d: number) => Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
  const messages = arg('messages', 2000);
  const connections = arg('connections', 8);
  const size = arg('size', 10240);
  const rounds = Math.max(1, arg('rounds', 2));
  const missing = peerMissing();
  const rm: Outcome[] = [];
  const pf: Outcome[] = [];
  // rmail, Postfix, Postfix, rmail, rmail, Postfix...: each side's mean position in time is the same
  for (let i = 0; i < rounds; i++) {
    const rmailFirst = i % 2 === 0;
    if (rmailFirst) rm.push(await runRmail(messages, connections, size));
    if (!missing) pf.push(await runPeer(messages, connections, size));
    if (!rmailFirst) rm.push(await runRmail(messages, connections, size));
  }
  const out = rows('rmail MX', rm, messages);
  out[1]!.name += ' (HTTP API INBOX totals)';
  if (missing) {
    out.push({ name: 'smtp: Postfix → Dovecot LMTP', note: `not run: ${missing}` });
    return out;
  }
  const peerRows = rows('Postfix', pf, messages);
  peerRows[1]!.name = 'smtp: Postfix → Dovecot LMTP visible (maildir files)';
  const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : 'n/a');
  out[0]!.note = [out[0]!.note, `${ratio(out[0]!.ops_per_s, peerRows[0]!.ops_per_s)} Postfix`].filter(Boolean).join('; ');
  out[1]!.note = [out[1]!.note, `${ratio(out[1]!.ops_per_s, peerRows[1]!.ops_per_s)} Postfix+Dovecot`].filter(Boolean).join('; ');
  return [...out, ...peerRows];
}
