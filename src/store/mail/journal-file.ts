/**
 * The file under a folder's journal (`index.log`): lines appended with one O_DSYNC write each
 * (several concurrent appends share one write: group commit), never acknowledged before they are
 * on disk.
 *
 * Two things make a flag change cheap without weakening that:
 * - Zeroed space ahead. A line is written over zero bytes already in the file (written and synced
 *   GROW at a time, together with the line that needed them), so the write changes neither the
 *   file's size nor its block map. The data sync then needs no inode write (on this ext4 without
 *   a journal that is a second synchronous I/O, ~20% of a small append's sync). Readers stop at
 *   the zeros (journal.ts `decodeJournal`); `size` is the logical end, not the file's.
 * - No thread-pool round trip when the loop can afford the wait: an append with nothing in flight
 *   is written synchronously (about 0.1 ms of device time), which saves two thread wake-ups per
 *   STORE, paced process-wide (sync-pace.ts: a slow one sends journal writes to the pool for a
 *   while, and they may block the loop for at most half of every 100 ms), so a busy server (many
 *   sessions writing) keeps group commit and a responsive loop.
 */
import { closeSync, constants as fsc, fstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, GroupCommit, writeAllAt, writeAllSync } from '../atomic.js';
import { syncAllowed, noteSync } from '../sync-pace.js';

/** Zeroed space written ahead at a time. */
const GROW = 64 * 1024;
const zeros = Buffer.alloc(GROW);
/** The byte `unchanged` reads (one buffer for every check: it runs at every write's turn). */
const probe = Buffer.alloc(1);

/** One folder journal file, appended in place (see the module comment). */
export class JournalFile {
  private fd: number | null = null;
  /** Logical end: bytes of whole lines (the next line goes here). */
  size = 0;
  /** The file's size (zeroed space from `size` to here). */
  private end = 0;
  /** Writes through the thread pool, batched (group commit). */
  private readonly group = new GroupCommit(async (buf) => {
    if (this.fd === null) await this.open(this.size); // closed while idle: same place
    const fd = this.fd!;
    await this.writeLine(buf, (b, pos) => writeAllAt(fd, b, pos)); // O_DSYNC: durable when it returns
  });

  constructor(readonly path: string) {}

  /** True while the file is open. */
  get isOpen(): boolean {
    return this.fd !== null;
  }

  /**
   * Open (creating) the file; `size` is the logical end the caller decoded (whole lines; zeros or
   * nothing after it). A created file's directory entry is synced.
   */
  async open(size: number): Promise<void> {
    if (this.fd !== null) return;
    let created = false;
    let fd: number;
    try {
      fd = openSync(this.path, fsc.O_RDWR | fsc.O_DSYNC);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fd = openSync(this.path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_DSYNC, 0o666);
      created = true;
    }
    this.fd = fd;
    this.end = fstatSync(fd).size;
    this.size = Math.min(size, this.end);
    if (created) await fsyncDir(dirname(this.path));
  }

  /**
   * True when nobody wrote the file since we last did: its size is what we left and the byte at
   * our logical end is still zero (another process appends in place, under the same flock).
   */
  unchanged(fileSize: number): boolean {
    if (fileSize !== this.end) return false;
    if (this.size >= this.end) return true;
    const fd = this.fd ?? openSync(this.path, 'r');
    try {
      return readSync(fd, probe, 0, 1, this.size) === 1 && probe[0] === 0;
    } finally {
      if (fd !== this.fd) closeSync(fd);
    }
  }

  /**
   * Append `data`; resolves once it is on disk (possibly together with other appends). A caller
   * with other syncs to wait for issues them first: a synchronous write here runs beside them.
   * `beside`: the caller has work of its own for the loop while the line is written (it goes
   * through the thread pool).
   */
  append(data: string | Buffer, beside = false): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (!beside && !this.group.busy && this.fd !== null) {
      const started = performance.now();
      if (syncAllowed(started)) {
        const grows = this.size + buf.length > this.end;
        try {
          this.writeLine(buf, (b, pos) => writeAllSync(this.fd!, b, pos));
        } catch (err) {
          return Promise.reject(err);
        } finally {
          noteSync(started, performance.now(), grows);
        }
        return Promise.resolve();
      }
    }
    return this.group.submit(buf);
  }

  /**
   * Write `buf` at the logical end, with GROW zeroed bytes after it when the space ahead is used
   * up (that one write extends the file and syncs its new size; the next ones overwrite zeros).
   */
  private writeLine<T>(buf: Buffer, put: (b: Buffer, pos: number) => T): T {
    const at = this.size;
    const grow = at + buf.length > this.end;
    const out = grow ? Buffer.concat([buf, zeros]) : buf;
    const r = put(out, at);
    const commit = (): void => {
      this.size = at + buf.length;
      if (grow) this.end = Math.max(this.end, at + out.length);
    };
    if (r instanceof Promise) return r.then(commit) as T;
    commit();
    return r;
  }

  /** Close the file (waits for pending appends). */
  async close(): Promise<void> {
    await this.group.idle();
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) closeSync(fd);
  }
}
