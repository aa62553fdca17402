/**
 * Bounded steps for the crash harness: every step of a round has a time budget. `within` bounds
 * one promise on the harness's own event loop; the `Watchdog` runs on a worker thread so it still
 * fires when the harness's event loop is starved (a loop spinning on microtasks, a blocking
 * call), which no timer on the main thread can detect. A stuck step fails loudly with its name.
 */
import { Worker } from 'node:worker_threads';

/** A step that did not finish in its budget. */
export class StuckError extends Error {
  constructor(readonly step: string, readonly ms: number) {
    super(`crash harness stuck: ${step} did not finish within ${ms} ms`);
  }
}

/** `p`, or a StuckError naming `step` after `ms`. */
export async function within<T>(step: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new StuckError(step, ms)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

// Plain JS for the worker (eval'd: no TypeScript loader there). On a missed deadline it names the
// step on stderr, SIGKILLs the server children it was told about, and then the harness process:
// a harness whose own event loop does not run cannot be stopped any other way.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
let step = null, deadline = Infinity, budget = 0;
const pids = new Set();
parentPort.on('message', (m) => {
  if (m.type === 'step') { step = m.step; budget = m.ms; deadline = Date.now() + m.ms; }
  else if (m.type === 'idle') { step = null; deadline = Infinity; }
  else if (m.type === 'pid') pids.add(m.pid);
  else if (m.type === 'unpid') pids.delete(m.pid);
});
setInterval(() => {
  if (Date.now() <= deadline) return;
  writeSync(2, '\\ncrash harness watchdog: step "' + step + '" still running after ' + budget + ' ms; the harness event loop did not end it (starved or unbounded). Killing the server (' + [...pids].join(',') + ') and the harness.\\n');
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  process.kill(process.pid, 'SIGKILL');
}, 500);
`;

/** A watchdog thread with one current step and its deadline. */
export class Watchdog {
  // No inherited execArgv: the code is CommonJS whatever flags (--input-type, loaders) the harness runs with.
  private readonly worker = new Worker(WORKER, { eval: true, execArgv: [] });

  constructor() {
    this.worker.unref();
  }

  /** Start `step`: if it is still current after `ms` (plus a grace for `within`), the run dies loudly. */
  step(step: string, ms: number): void {
    this.worker.postMessage({ type: 'step', step, ms });
  }

  /** No step running (between rounds, at the end). */
  idle(): void {
    this.worker.postMessage({ type: 'idle' });
  }

  /** A server child to SIGKILL if the harness has to be killed. */
  track(pid: number | undefined): void {
    if (pid) this.worker.postMessage({ type: 'pid', pid });
  }

  /** That child is gone. */
  untrack(pid: number | undefined): void {
    if (pid) this.worker.postMessage({ type: 'unpid', pid });
  }

  /** Stop the thread. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
