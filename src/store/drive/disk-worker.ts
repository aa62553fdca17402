/**
 * The disk work of drive checkpoints (checkpoint.ts) on one worker thread per process: writing held
 * small files (each created in place, or as a temp for the caller to rename) and fdatasync'ing
 * files and directories, one at a time, in order. One message per step of a checkpoint instead
 * of a thread-pool round trip per file operation (each a wake-up and a promise on the event
 * loop: the largest cost of a small PUT), and no file creation on the event loop (a create can
 * wait for the file system's journal commit). One flush at a time also leaves the disk to the
 * commits' journal writes in between. Held files are written first, up to BATCH of them, and
 * only then fdatasync'd (through the descriptors they were written with): the first sync's
 * file-system commit carries all of them (ext4 data=ordered), so a checkpoint of 700 small files
 * costs a few commits instead of 700, each of which held up the O_DSYNC journal writes of the
 * uploads going on meanwhile (their median doubled while a checkpoint ran). The worker is plain
 * JavaScript run from a string (no file to resolve under tests or in dist/); it keeps the
 * process alive only while work is in flight.
 *
 * Invariants: a request resolves only after every file it wrote, and every path it names that
 * exists, was fdatasync'd; a path that is gone (ENOENT/ENOTDIR) has nothing to sync; any other
 * error rejects. If the worker cannot run, callers fall back to the event loop's own calls.
 */
import { Worker } from 'node:worker_threads';

/** The worker thread's nice value (see WORKER). */
const NICE = 10;

const WORKER = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
// Background work: this thread (only it, on Linux) yields the CPU to the request path when the
// cores are busy; nice 10 still leaves it about a tenth of a contended core.
try { require('node:os').setPriority(${NICE}); } catch { /* not permitted: normal priority */ }
const gone = (err) => err.code === 'ENOENT' || err.code === 'ENOTDIR';
function syncPath(p) {
  let fd;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY);
  } catch (err) {
    if (gone(err)) return;
    throw err;
  }
  try {
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
// Files written and still open, to be fdatasync'd together (at most BATCH open at a time).
const BATCH = 256;
let unsynced = [];
function syncWritten() {
  const fds = unsynced;
  unsynced = [];
  let failure;
  for (const fd of fds) {
    try {
      if (failure === undefined) fs.fdatasyncSync(fd);
    } catch (err) {
      failure = err;
    }
    try { fs.closeSync(fd); } catch { /* already reported, or nothing to report */ }
  }
  if (failure !== undefined) throw failure;
}
function create(path, data) {
  const fd = fs.openSync(path, 'wx', 0o600);
  unsynced.push(fd);
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
  if (unsynced.length >= BATCH) syncWritten();
}
parentPort.on('message', ({ id, puts, paths }) => {
  const out = [];
  try {
    try {
      for (const p of puts ?? []) {
        if (p.tmp === undefined) {
          try {
            create(p.path, p.data);
            out.push('created');
            continue;
          } catch (err) {
            if (err.code !== 'EEXIST') throw err;
            out.push('exists');
            continue;
          }
        }
        create(p.tmp, p.data);
        out.push('temp');
      }
    } finally {
      syncWritten();
    }
    for (const p of paths ?? []) syncPath(p);
    parentPort.postMessage({ id, out });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message) });
  }
});
`;

/** A held file for the worker to write: created in place at `path`, or (with `tmp`) written to `tmp`. */
export interface PutOp {
  path: string;
  data: Uint8Array;
  tmp?: string;
}

/** What became of each PutOp: created in place, found something already there (not written), or its temp written. */
export type PutResult = 'created' | 'exists' | 'temp';

interface Request {
  puts?: PutOp[];
  paths?: string[];
}

/** The one disk worker of this process and its requests in flight. */
class DiskWorker {
  private worker?: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (out: PutResult[]) => void; reject: (err: Error) => void }>();

  private start(): Worker {
    const w = new Worker(WORKER, { eval: true });
    w.unref();
    w.on('message', (m: { id: number; out?: PutResult[]; error?: string }) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) w.unref();
      if (m.error !== undefined) p.reject(new Error(`drive checkpoint: ${m.error}`));
      else p.resolve(m.out ?? []);
    });
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`drive checkpoint worker exited (${code})`)));
    return w;
  }

  run(req: Request): Promise<PutResult[]> {
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, ...req });
    });
  }
}

let shared: DiskWorker | undefined;
const worker = (): DiskWorker => (shared ??= new DiskWorker());

/** Write and fdatasync held files on the worker, in order; one result per op. */
export function putSynced(puts: PutOp[]): Promise<PutResult[]> {
  return puts.length ? worker().run({ puts }) : Promise.resolve([]);
}

/** fdatasync every path that exists, in order (files before the directories naming them), on the worker. */
export async function syncPaths(paths: string[]): Promise<void> {
  if (paths.length) await worker().run({ paths });
}
