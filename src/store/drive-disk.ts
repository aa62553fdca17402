/** File steps of the drive store (drive.ts): unsynced temp writes, synced small files, fsync helpers. */
import { promises as fsp, openSync, writeSync, fstatSync, closeSync, fdatasync } from 'node:fs';
import { fsyncDir } from './atomic.js';

/** The identity of a file's current version (changes with every rename over it). */
export const sigOf = (st: { ino: bigint; mtimeNs: bigint; size: bigint }): string => `${st.ino}:${st.mtimeNs}:${st.size}`;

/**
 * Write `data` to a new file, not synced (a checkpoint syncs it); returns its identity (see
 * sigOf). Synchronous on purpose: a page-cache write of one small file is cheaper than the
 * promise and thread-pool round trips of the async API, and it never waits for the disk.
 */
export function writeTemp(path: string, data: string | Buffer, flag = 'w'): string {
  const fd = openSync(path, flag, 0o600);
  try {
    let off = 0;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    return sigOf(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

/** fdatasync an existing file. */
export async function syncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r+');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** fsync a file or directory that may have gone away since (a removed directory needs nothing). */
export async function syncIfThere(path: string, dir: boolean): Promise<void> {
  try {
    await (dir ? fsyncDir(path) : syncFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
}


/**
 * Create `path` with `data`, synced (not its directory entry); false when something is already
 * there (or its directory is gone). The open and the write are synchronous (page cache only,
 * cheaper than two thread-pool round trips); only the fdatasync waits for the disk, off the
 * event loop.
 */
export async function createSynced(path: string, data: Buffer): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    closeSync(fd);
  }
  return true;
}
