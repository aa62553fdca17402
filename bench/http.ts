/**
 * HTTP front end (issue 2): a trivial route, POST /auth/login, and an authenticated JSON GET,
 * each at 64 connections with wrk, against the server as a child process (plain HTTP,
 * request logging on as by default, stdout to a pipe).
 */
import type { Row } from './types.js';
import { startBenchServer, cli } from './child.js';
import { wrk, haveWrk } from './wrk.js';

/** Run the HTTP bench. `--seconds=N` sets each workload's duration (default 10). */
export async function run(args: string[]): Promise<Row[]> {
  if (!haveWrk()) return [{ name: 'http', note: 'wrk not installed: apt-get install -y wrk' }];
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 10);
  const server = await startBenchServer({ rate_limit: { enabled: true } });
  try {
    await cli(server.configFile, ['user', 'add', 'bench@example.com', '--password', 'benchpw']);
    const base = `http://127.0.0.1:${server.ports.http}`;
    const res = await fetch(`${base}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench@example.com', password: 'benchpw' }),
    });
    const { token } = (await res.json()) as { token: string };
    const rows: Row[] = [];
    const trivial = await wrk(`${base}/health`, { connections: 64, seconds });
    rows.push({ name: 'http: GET /health (trivial, 64 conns)', ops_per_s: trivial.rps, p50_ms: trivial.p50_ms, p99_ms: trivial.p99_ms, note: trivial.errors ? `${trivial.errors} errors` : undefined });
    const authed = await wrk(`${base}/aliases`, { connections: 64, seconds, headers: { authorization: `Bearer ${token}` } });
    rows.push({
      name: 'http: GET /aliases (Bearer JWT, 64 conns)', ops_per_s: authed.rps, p50_ms: authed.p50_ms, p99_ms: authed.p99_ms,
      note: `${Math.round((authed.rps / trivial.rps) * 100)}% of trivial${authed.errors ? `; ${authed.errors} errors` : ''}`,
    });
    const login = await wrk(`${base}/auth/login`, {
      connections: 64, seconds: Math.max(seconds, 15), timeoutS: 30, method: 'POST',
      body: JSON.stringify({ username: 'bench@example.com', password: 'benchpw' }),
      headers: { 'content-type': 'application/json' },
    });
    rows.push({ name: 'http: POST /auth/login (scrypt, 64 conns)', ops_per_s: login.rps, p50_ms: login.p50_ms, p99_ms: login.p99_ms, note: login.errors ? `${login.errors} errors` : 'scrypt N=16384 on the libuv pool' });
    rows[rows.length - 1]!.peak_rss_mb = server.peakRssMb();
    return rows;
  } finally {
    await server.stop();
  }
}
