/** Durable writes (temp + fsync + rename + dir fsync), flock, JSON files, append-only logs. */
import { promises as fsp, constants as fsc, write, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fsExt from 'fs-ext';

/** Write all of `buf` to `fd` at `pos` (a short write goes on where it stopped). */
export function writeAllSync(fd: number, buf: Uint8Array, pos: number): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off, pos + off);
}

/** writeAllSync through the thread pool. */
export async function writeAllAt(fd: number, buf: Uint8Array, pos: number): Promise<void> {
  for (let off = 0; off < buf.length;) {
    off += await new Promise<number>((resolve, reject) => {
      write(fd, buf, off, buf.length - off, pos + off, (err, n) => (err ? reject(err) : resolve(n)));
    });
  }
}

/** fsync a directory so a rename or create inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * fsync each of `paths` (files already written; one that is gone is skipped, any other error
 * rejects), at most `inFlight` at a time: what a compaction runs before it empties a journal.
 */
export async function fsyncFiles(paths: string[], inFlight: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(inFlight, paths.length) }, async () => {
    while (next < paths.length) {
      const path = paths[next++]!;
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(path, fsc.O_RDONLY);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }));
}

/** A unique temp name beside `path` (`*.tmp`, never a valid stored name). */
export const tempPath = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);

/** Write `data` to `path` durably: temp file, fsync, rename over, fsync the directory. */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = tempPath(path);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Write JSON durably (pretty-printed, trailing newline). */
export const writeJsonDurable = (path: string, value: unknown): Promise<void> =>
  writeFileDurable(path, JSON.stringify(value, null, 1) + '\n');

/** Read and parse a JSON file; `undefined` when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** Create a directory (and parents) and fsync its parent so it survives a crash. */
export async function mkdirDurable(dir: string): Promise<void> {
  const made = await fsp.mkdir(dir, { recursive: true });
  if (made !== undefined) await fsyncDir(dirname(dir));
}

function flockAsync(fd: number, how: 'ex' | 'sh' | 'un'): Promise<void> {
  return new Promise((resolve, reject) => fsExt.flock(fd, how, (err) => (err ? reject(err) : resolve())));
}

/**
 * An exclusive cross-process lock on a sidecar file (flock via fs-ext). The file stays open;
 * `acquire` tries a non-blocking lock first and waits on a libuv thread only when another
 * process holds it.
 */
export class FileLock {
  private fh: fsp.FileHandle | null = null;
  constructor(readonly path: string) {}

  /** Take the lock (creating the lock file). */
  async acquire(): Promise<void> {
    if (this.fh === null) {
      await fsp.mkdir(dirname(this.path), { recursive: true });
      this.fh = await fsp.open(this.path, 'a');
    }
    try {
      fsExt.flockSync(this.fh.fd, 'exnb');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw err;
      await flockAsync(this.fh.fd, 'ex');
    }
  }

  /** Release the lock (the file stays open for the next acquire). */
  release(): void {
    if (this.fh !== null) fsExt.flockSync(this.fh.fd, 'un');
  }

  /** Close the lock file. */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }
}

/** Run `fn` holding an exclusive flock on `lockPath` (opened and closed around the call). */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const lock = new FileLock(lockPath);
  await lock.acquire();
  try {
    return await fn();
  } finally {
    lock.release();
    await lock.close();
  }
}

/**
 * Group commit: data submitted while a write is in flight is batched into the next single
 * write. Each promise resolves once the write carrying its bytes has returned (for an O_DSYNC
 * file: once they are on disk), or rejects with that write's error.
 */
export class GroupCommit {
  private pending: { data: Buffer; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly write: (buf: Buffer) => Promise<void>) {}

  /** True while a write is in flight or data waits for one. */
  get busy(): boolean {
    return this.flushing || this.pending.length > 0;
  }

  /** Write `data` with whatever else arrives meanwhile. */
  submit(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ data, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Resolves once nothing is in flight or waiting. */
  async idle(): Promise<void> {
    while (this.busy) await new Promise((r) => setTimeout(r, 1));
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          await this.write(batch.length === 1 ? batch[0]!.data : Buffer.concat(batch.map((b) => b.data)));
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/**
 * An append-only log file with group commit: concurrent `append` calls that arrive while a
 * write is in flight are batched into the next single write. The file is opened O_DSYNC, so
 * each write returns only once its bytes are on disk (write + fdatasync in one system call).
 * Each promise resolves only once its bytes are on disk.
 */
export class AppendLog {
  private fh: fsp.FileHandle | null = null;
  private readonly group = new GroupCommit(async (buf) => {
    if (!this.fh) await this.open();
    await this.fh!.write(buf, 0, buf.length); // O_DSYNC: durable when it returns
    this.size += buf.length;
  });
  /** Bytes in the file (after the last completed write). */
  size = 0;

  constructor(readonly path: string) {}

  /** Open (creating) the log; `size` is set to its current length. */
  async open(): Promise<void> {
    if (this.fh) return;
    await fsp.mkdir(dirname(this.path), { recursive: true });
    const created = await fsp.stat(this.path).then(() => false, () => true);
    this.fh = await fsp.open(this.path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_DSYNC, 0o666);
    this.size = (await this.fh.stat()).size;
    if (created) await fsyncDir(dirname(this.path));
  }

  /** Append `data`; resolves once it is fsync'd (possibly together with other appends). */
  append(data: string | Buffer): Promise<void> {
    return this.group.submit(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Close the file (waits for pending appends). */
  async close(): Promise<void> {
    await this.group.idle();
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }
}
