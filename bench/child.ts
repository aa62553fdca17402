/** Start the compiled server (dist-bench) as a child process for benches, on ports read from its log. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const CLI = fileURLToPath(new URL('../src/main/cli.js', import.meta.url));

/** A server child with its ports, mail root and config file. */
export interface BenchServer {
  child: ChildProcess;
  ports: Record<string, number>;
  root: string;
  configFile: string;
  /** Peak RSS of the server process so far (VmHWM), MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Run `rmail ARGS` against the bench server's config. */
export function cli(configFile: string, args: string[], stdin = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...args, '--config', configFile], { stdio: ['pipe', 'ignore', 'inherit'] });
    c.on('error', reject);
    c.on('close', (code) => resolve(code ?? -1));
    c.stdin!.end(stdin);
  });
}

/** Start `rmail serve` with `overrides` over bench defaults (plain HTTP, other listeners off). */
export async function startBenchServer(overrides: Record<string, unknown> = {}): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-bench-'));
  const root = join(dir, 'store');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({
    mail_root: root, listen_host: '127.0.0.1', domains: ['example.com'],
    http: { port: 0, tls: false }, imap: { port: null, tls_port: null },
    smtp: { port: null, submission_port: null, submissions_port: null },
    ...overrides,
  }));
  // as `npm start` runs it: two malloc arenas (glibc's default of 8 per core fragments the
  // off-heap memory of a process with many I/O threads into several times its live size), and
  // blocks of 128 KB and more always mmap'd (glibc's sliding threshold otherwise keeps the freed
  // body chunks of a large upload in the heap: RSS 350 MB after a 1 GB PUT instead of 170)
  const env = {
    ...process.env,
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
  };
  // RMAIL_BENCH_NODE_ARGS: extra node flags for the server only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`
  // (the profile is written when the server exits on the bench's SIGTERM)
  const nodeArgs = (process.env.RMAIL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const ports: Record<string, number> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench server did not start')), 30_000);
    child.on('exit', (code) => reject(new Error(`bench server exited ${code}`)));
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (!line.includes('"listening"')) return;
      const rec = JSON.parse(line) as { service: string; port: number };
      ports[rec.service] = rec.port;
      if (rec.service === 'http') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    child, ports, root, configFile,
    peakRssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    },
    stop: async () => {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
