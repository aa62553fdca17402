/** File steps of the drive store (store.ts): unsynced writes of small files and temps, fsync helpers. */
import { promises as fsp, openSync, fstatSync, closeSync, renameSync, rmSync } from 'node:fs';
import { tempPath, fsyncDir, writeAllSync } from '../atomic.js';

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
    writeAllSync(fd, typeof data === 'string' ? Buffer.from(data) : data, 0);
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

/**
 * fsync a file or directory that may have gone away since (a removed directory needs nothing;
 * a file path that is a directory now has nothing of the file left to make durable).
 */
export async function syncIfThere(path: string, dir: boolean): Promise<void> {
  try {
    await (dir ? fsyncDir(path) : syncFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw err;
  }
}


/**
 * Put a small file's bytes at `path`, not synced (a checkpoint syncs it and its directory):
 * created in place when nothing was there (`fresh`), else through a temp renamed over it (a
 * reader of the old version keeps it whole). Synchronous: page cache only.
 */
export function putFileUnsynced(path: string, data: Buffer, fresh: boolean): void {
  if (fresh) {
    try {
      return void writeTemp(path, data, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const tmp = tempPath(path);
  try {
    writeTemp(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
