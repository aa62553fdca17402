/** Run the built CLI (`dist/main/cli.js`, made by `npm test`'s build step) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The compiled CLI entry. */
export const CLI = fileURLToPath(new URL('../../dist/main/cli.js', import.meta.url));

/** What a finished child process said. */
export interface ProcessResult { code: number; stdout: string; stderr: string }

/** Run `cmd ARGS` to completion (`stdin` written and closed); returns exit code and output. */
export function runProcess(cmd: string, args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Run `rmail ARGS` to completion; returns exit code and output. */
export function runCli(args: string[], stdin?: string): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI, ...args], { stdin });
}

/** A server running as a child process with its real ports read from the log. */
export interface ChildServer {
  child: ChildProcess;
  ports: Record<string, number>;
  lines: string[];
}

/** Write `config` to `{dir}/config.json` and start `rmail serve`; resolves once HTTP is listening. */
export function startChildServer(dir: string, config: Record<string, unknown>, waitFor = 'http'): Promise<ChildServer> {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports: Record<string, number> = {};
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${lines.join('\n')}`)), 30_000);
    child.stderr!.on('data', (d) => lines.push(String(d)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${lines.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; service?: string; port?: number };
        if (rec.msg === 'listening' && rec.service && rec.port) ports[rec.service] = rec.port;
        if (rec.service === waitFor && rec.msg === 'listening') {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve({ child, ports, lines });
        }
      } catch {
        /* not a log line */
      }
    });
  });
}
