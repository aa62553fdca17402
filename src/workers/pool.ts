/** The only place Piscina is created: one pool of threads, typed `run(task, input)`. */
import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import type { HashInput, HashOutput } from './etag.js';
import { summarize, type MimeInput, type MimeOutput } from './parse-mime.js';
import type { ExpandInput, ExpandOutput } from './expand-rrule.js';

/** Task name -> [input, output] types. Areas add their tasks here and a file beside this one. */
export interface Tasks {
  hash: [HashInput, HashOutput];
  mime: [MimeInput, MimeOutput];
  'expand-rrule': [ExpandInput, ExpandOutput];
}

// The file of each task, resolved beside this module (src/*.ts under tests, dist/*.js in production).
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const FILES: Record<keyof Tasks, string> = {
  hash: 'etag',
  mime: 'parse-mime',
  'expand-rrule': 'expand-rrule',
};

/**
 * The `mime` task run on the calling thread, for small messages where a thread hop costs more
 * than the parse (tens of microseconds for a 10 KB message).
 */
export function summarizeHere(bytes: Buffer): MimeOutput {
  return summarize(bytes);
}

/** A pool of worker threads running the task files. */
export class WorkerPool {
  private readonly piscina: Piscina;

  constructor(threads: number) {
    this.piscina = new Piscina({
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 60_000,
      execArgv: process.execArgv,
    });
  }

  /**
   * Run `task` on a worker thread. `transfer`: buffers handed over instead of copied (the caller
   * must own each whole ArrayBuffer, e.g. a `new Uint8Array(n)`, and not touch it afterwards).
   */
  run<K extends keyof Tasks>(task: K, input: Tasks[K][0], transfer?: ArrayBuffer[]): Promise<Tasks[K][1]> {
    const filename = fileURLToPath(new URL(`./${FILES[task]}${ext}`, import.meta.url));
    return this.piscina.run(input, transfer ? { filename, transferList: transfer } : { filename }) as Promise<Tasks[K][1]>;
  }

  /** Threads currently alive. */
  get threads(): number {
    return this.piscina.threads.length;
  }

  /** Finish queued tasks and stop the threads. */
  async close(): Promise<void> {
    await this.piscina.close();
  }
}
