/** Drive a URL with wrk (Debian package) and parse its report. */
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one wrk run measured. */
export interface WrkResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/** True when wrk is installed. */
export function haveWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status === 1;
  }
}

const toMs = (v: string, unit: string): number => Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);

/** Run wrk for `seconds` with `connections`; `method`/`body`/`headers` go into a Lua script. */
export function wrk(url: string, opts: { connections: number; seconds: number; threads?: number; timeoutS?: number; method?: string; body?: string; headers?: Record<string, string> }): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-wrk-'));
  const script = join(dir, 'req.lua');
  const lines = [`wrk.method = ${JSON.stringify(opts.method ?? 'GET')}`];
  if (opts.body) lines.push(`wrk.body = ${JSON.stringify(opts.body)}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  writeFileSync(script, lines.join('\n') + '\n');
  const args = ['-t', String(opts.threads ?? 2), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', `${opts.timeoutS ?? 2}s`, '--latency', '-s', script, url];
  return new Promise((resolve, reject) => {
    const c = spawn('wrk', args);
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
      const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(out);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const sockErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      if (Number.isNaN(rps) || !p50 || !p99) {
        reject(new Error(`wrk output not understood:\n${out}`));
        return;
      }
      resolve({ rps, p50_ms: toMs(p50[1]!, p50[2]!), p99_ms: toMs(p99[1]!, p99[2]!), errors: non2xx + sockErrors });
    });
  });
}
