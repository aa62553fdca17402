/** Message files: `{uid}.eml` in the folder's directory, immutable once placed. */
import {
  promises as fsp, constants as fsc, openSync, writevSync, futimesSync, closeSync, mkdirSync, rmSync, fsync,
  open, writev, write, futimes, renameSync, linkSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { fsyncDir, fsyncFiles, mkdirDurable, writeAllSync } from '../atomic.js';

/** The path of message `uid` in a folder directory. */
export const messagePath = (dir: string, uid: number): string => join(dir, `${uid}.eml`);

/** The index files of a folder directory. */
export const indexFiles = (dir: string) => ({
  snapshot: join(dir, 'index.snap'),
  journal: join(dir, 'index.log'),
  summaries: join(dir, 'summaries.jsonl'),
});

/**
 * A temp file written, its fsync started but not awaited: the store renames it into place and
 * awaits `sync` in the same round as the directory and journal fsyncs (the line carries `crc` so
 * a restart can tell a file whose content did not survive). `sync` answers the one fsync however
 * often called (hard links of one file share it); `close` (never rejects) must be called when
 * every commit is done.
 */
export interface UnsyncedFile {
  path: string;
  size: number;
  crc: number;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Write bytes (several buffers in order) to a new temp file in `tmpDir` without fsync (see
 * UnsyncedFile); its mtime is set to `mtimeMs`, or left as written when null.
 */
export async function writeUnsynced(tmpDir: string, data: Uint8Array[], mtimeMs: number | null): Promise<UnsyncedFile> {
  const path = join(tmpDir, `msg-${randomBytes(8).toString('hex')}.tmp`);
  let size = 0;
  let crc = 0;
  for (const d of data) {
    size += d.byteLength;
    crc = crc32(d, crc);
  }
  const fd = size <= SYNC_WRITE_MAX ? writeSmall(tmpDir, path, data, size, mtimeMs) : await writeLarge(tmpDir, path, data, mtimeMs);
  return unsyncedFile(fd, path, size, crc);
}

/**
 * The UnsyncedFile of a written temp file's open descriptor `fd`: its fsync starts now and runs
 * while the caller parses, stats and renames; the commit awaits it. `close` waits for the fsync.
 */
export function unsyncedFile(fd: number, path: string, size: number, crc: number): UnsyncedFile {
  const synced = new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  synced.catch(() => undefined);
  let closed: Promise<void> | null = null;
  return {
    path, size, crc,
    sync: () => synced,
    // closing a regular file is a microsecond call: no thread-pool round trip (and loop wake-up) for it
    close: () => (closed ??= synced.catch(() => undefined).then(() => {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    })),
  };
}

/**
 * Messages up to this size are written to their temp file with synchronous calls: an open and a
 * write into the page cache take microseconds, while each thread-pool round trip costs a
 * scheduling delay on a busy machine (measured: 7 ms per message at load 16). The fsync (the
 * slow part) stays on the pool.
 */
const SYNC_WRITE_MAX = 256 * 1024;

function writeSmall(tmpDir: string, path: string, data: Uint8Array[], size: number, mtimeMs: number | null): number {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(tmpDir, { recursive: true });
    fd = openSync(path, 'wx', 0o600);
  }
  try {
    let n = writevSync(fd, data);
    if (n < size) {
      writeAllSync(fd, Buffer.concat(data).subarray(n), n);
    }
    if (mtimeMs !== null) futimesSync(fd, new Date(mtimeMs), new Date(mtimeMs));
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  return fd;
}

async function writeLarge(tmpDir: string, path: string, data: Uint8Array[], mtimeMs: number | null): Promise<number> {
  // plain descriptors (a FileHandle would close its fd when garbage-collected)
  let fd: number;
  try {
    fd = await openAsync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fsp.mkdir(tmpDir, { recursive: true });
    fd = await openAsync(path, 'wx', 0o600);
  }
  try {
    let n = await writevAsync(fd, data);
    const size = data.reduce((a, d) => a + d.byteLength, 0);
    if (n < size) {
      const all = Buffer.concat(data);
      while (n < size) n += (await writeAsync(fd, all, n, size - n, n)).bytesWritten;
    }
    if (mtimeMs !== null) await futimesAsync(fd, new Date(mtimeMs), new Date(mtimeMs));
  } catch (err) {
    closeSync(fd);
    await fsp.rm(path, { force: true });
    throw err;
  }
  return fd;
}

const openAsync = promisify(open);
const writevAsync = (fd: number, data: Uint8Array[]) => new Promise<number>((resolve, reject) => writev(fd, data, (err, n) => (err ? reject(err) : resolve(n))));
const writeAsync = promisify(write);
const futimesAsync = promisify(futimes);

/** The crc32 and size of a file, or null when it is gone. */
export async function fileCrc(path: string): Promise<{ size: number; crc: number } | null> {
  try {
    const buf = await fsp.readFile(path);
    return { size: buf.length, crc: crc32(buf) };
  } catch {
    return null;
  }
}

/** fsync an existing file (a temp file handed in by a front end), set its mtime, answer its size. */
export async function sealTemp(path: string, mtimeMs: number): Promise<number> {
  const fh = await fsp.open(path, fsc.O_RDWR);
  try {
    const when = new Date(mtimeMs);
    await fh.utimes(when, when);
    await fh.sync();
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/**
 * Move a temp file into place (same file system); the caller fsyncs the directory once per batch.
 * Synchronous, like `linkFile`: one metadata call is microseconds, a thread-pool round trip per
 * commit costs milliseconds of scheduling on a busy machine.
 */
export const placeFile = (tmp: string, dest: string): void => renameSync(tmp, dest);

/**
 * Write a small message straight into its place, without fsync (its journal line carries the
 * bytes: see journal.ts), through the thread pool: creating a file in a directory of 100,000
 * costs ~0.1 ms of kernel time, spent there while the loop goes on with the commit. `mtimeMs` null
 * leaves the mtime as written. Fails when `dest` exists (and then leaves it alone).
 */
export async function writeInline(dest: string, data: Uint8Array, mtimeMs: number | null): Promise<void> {
  const fd = await openAsync(dest, 'wx', 0o600);
  try {
    let n = await writevAsync(fd, [data]);
    while (n < data.byteLength) n += (await writeAsync(fd, data, n, data.byteLength - n, n)).bytesWritten;
    if (mtimeMs !== null) await futimesAsync(fd, new Date(mtimeMs), new Date(mtimeMs));
  } catch (err) {
    closeSync(fd);
    rmSync(dest, { force: true });
    throw err;
  }
  closeSync(fd);
}

/** Rewrite a message file from its journal bytes, durably but for the directory (the caller fsyncs it). */
export async function restoreFile(dest: string, data: Uint8Array, mtimeMs: number): Promise<void> {
  const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.utimes(new Date(mtimeMs), new Date(mtimeMs));
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, dest);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** fsync message files (those already gone are skipped), at most `inFlight` (64) at a time. */
export const syncFiles = (paths: string[], inFlight = 64): Promise<void> => fsyncFiles(paths, inFlight);

/** Hard-link an existing message file under a new name (COPY). */
export const linkFile = (src: string, dest: string): void => linkSync(src, dest);

/** Remove message files, ignoring ones already gone. */
export async function removeFiles(paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => fsp.rm(p, { force: true })));
}

/** The uids of the `{uid}.eml` files in a folder directory (for a rebuild). */
export async function listMessageUids(dir: string): Promise<number[]> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const uids: number[] = [];
  for (const n of names) {
    const m = /^([1-9][0-9]{0,9})\.eml$/.exec(n);
    if (m) uids.push(Number(m[1]));
  }
  return uids.sort((a, b) => a - b);
}

/** size and mtime of a message file (mtime holds the INTERNALDATE), or null when gone. */
export async function statMessage(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const st = await fsp.stat(path);
    return { size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  } catch {
    return null;
  }
}

/** True when two paths are the same file (hard links of one inode), false when either is gone. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fsp.stat(a).catch(() => null), fsp.stat(b).catch(() => null)]);
  return !!x && !!y && x.ino === y.ino && x.dev === y.dev;
}

/** True when a file exists. */
export const exists = (path: string): Promise<boolean> => fsp.access(path).then(() => true, () => false);

/** Create a folder directory durably (`mail/`, `mail/f/` and the folder's own entry are fsync'd). */
export async function makeFolderDir(dir: string): Promise<void> {
  const f = dirname(dir);
  await mkdirDurable(dirname(f));
  await mkdirDurable(f);
  await mkdirDurable(dir);
}

/** Remove a whole folder directory (after it left the folder list). */
export const removeFolderDir = (dir: string): Promise<void> => fsp.rm(dir, { recursive: true, force: true });

/** Re-exported for the folder index (one import for its file operations). */
export { fsyncDir };
