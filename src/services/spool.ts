/**
 * A message being received: small messages stay in memory (one copy), larger ones spill to a temp
 * file under tmpDir(mail_root), so a 25 MB message is never held in memory. `writeTo` produces
 * the final file (header prefix + content) that the store or the queue takes over.
 */
import {
  createReadStream, createWriteStream, promises as fsp, open as openFd, close as closeFd, writevSync, closeSync,
} from 'node:fs';
import { crc32 } from 'node:zlib';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpDir } from '../store/layout.js';
import { writeAllSync } from '../store/atomic.js';
import { unsyncedFile, type UnsyncedFile } from '../store/mail/files.js';

const MEMORY_LIMIT = 1024 * 1024;

/** This process's part of temp names (random), then a counter: unique without a random draw per file. */
const TEMP_PREFIX = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
let tempCounter = 0;

/** A unique temp file name under tmpDir(root) (files are created O_EXCL, so a clash is an error, never an overwrite). */
export const tempFile = (root: string, tag: string): string =>
  join(tmpDir(root), `${tag}-${TEMP_PREFIX}-${(tempCounter++).toString(36)}.tmp`);

/** The bytes of one received message. */
export class Spool {
  private chunks: Buffer[] = [];
  private file: string | null = null;
  /** Bytes received. */
  size = 0;

  private constructor(private readonly root: string) {}

  /** Take over an existing file (it is removed by `dispose`). */
  static async ofFile(root: string, file: string): Promise<Spool> {
    const s = new Spool(root);
    s.file = file;
    s.size = (await fsp.stat(file)).size;
    return s;
  }

  /**
   * Read `input` to the end (spilling past 1 MiB). Past `limit` bytes nothing more is kept (the
   * stream is drained, `size` keeps counting) so an oversized message cannot fill the disk.
   */
  static async from(root: string, input: Readable | Buffer, limit = Infinity): Promise<Spool> {
    const s = new Spool(root);
    if (Buffer.isBuffer(input)) {
      s.chunks = [input];
      s.size = input.length;
      return s;
    }
    let out: import('node:fs').WriteStream | null = null;
    try {
      for await (const chunk of input) {
        const buf = chunk as Buffer;
        s.size += buf.length;
        if (s.size > limit) continue;
        if (out) {
          if (!out.write(buf)) await new Promise<void>((r) => out!.once('drain', () => r()));
          continue;
        }
        s.chunks.push(buf);
        if (s.size > MEMORY_LIMIT) {
          s.file = tempFile(root, 'spool');
          out = createWriteStream(s.file, { mode: 0o600 });
          for (const c of s.chunks) out.write(c);
          s.chunks = [];
        }
      }
    } catch (err) {
      out?.destroy();
      await s.dispose();
      throw err;
    }
    if (out) await new Promise<void>((resolve, reject) => out!.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return s;
  }

  /** The whole message in memory, or null when it spilled to disk. */
  buffer(): Buffer | null {
    if (this.file) return null;
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** The first `n` bytes (enough for the header block). */
  async head(n = 65536): Promise<Buffer> {
    const b = this.buffer();
    if (b) return b.subarray(0, n);
    const fh = await fsp.open(this.file!, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /**
   * The header block: the first `n` bytes cut after the last header line (before the empty line
   * that ends the headers); all `n` when no empty line is among them.
   */
  async headerBlock(n = 65536): Promise<Buffer> {
    const h = await this.head(n);
    if (h[0] === 0x0a || (h[0] === 0x0d && h[1] === 0x0a)) return h.subarray(0, 0);
    const crlf = h.indexOf('\n\r\n');
    const lf = h.indexOf('\n\n');
    const end = crlf < 0 ? lf : lf < 0 ? crlf : Math.min(crlf, lf);
    return end < 0 ? h : h.subarray(0, end + 1);
  }

  /** A fresh stream of the content. */
  stream(): Readable {
    const b = this.buffer();
    return b ? Readable.from([b]) : createReadStream(this.file!);
  }

  /** Write `prefix` + content to a new temp file; fsync it when `durable`. Returns its path. */
  async writeTo(prefix: string, durable: boolean, tag = 'msg'): Promise<string> {
    const path = tempFile(this.root, tag);
    const b = this.buffer();
    if (b) {
      const fh = await fsp.open(path, 'w', 0o600);
      try {
        await fh.writev([Buffer.from(prefix), b]);
        if (durable) await fh.sync();
      } finally {
        await fh.close();
      }
      return path;
    }
    const out = createWriteStream(path, { mode: 0o600 });
    out.write(prefix);
    await pipeline(createReadStream(this.file!), out);
    if (durable) {
      const fh = await fsp.open(path, 'r+');
      await fh.sync().finally(() => fh.close());
    }
    return path;
  }

  /** Remove the spill file, if any. */
  async dispose(): Promise<void> {
    this.chunks = [];
    if (this.file) await fsp.rm(this.file, { force: true });
    this.file = null;
  }
}

/** An open, empty temp file taken from a TempFileReserve. */
export interface ReservedFile {
  fd: number;
  path: string;
}

/**
 * Empty temp files created ahead of need on the thread pool. Creating a file takes its
 * directory's lock and a journal handle, which on a disk busy with other fsyncs waits for
 * milliseconds; done synchronously per message it stalled the event loop (every connection)
 * for about a third of the SMTP bench. Taking a ready descriptor costs nothing; the reserve
 * refills behind. Leftover files after a crash are empty temp files, removed with tmpDir at
 * start. `close` removes the ones still unused; a take after it opens one file directly.
 */
export class TempFileReserve {
  private readonly ready: ReservedFile[] = [];
  private readonly waiting: { resolve: (f: ReservedFile) => void; reject: (err: Error) => void }[] = [];
  private creating = 0;
  private closed = false;

  constructor(private readonly root: string, private readonly depth = 16) {}

  /** An open (O_EXCL-created, mode 0600) empty temp file; the caller owns its descriptor. */
  take(): Promise<ReservedFile> {
    if (this.closed) return createTemp(this.root);
    const f = this.ready.pop();
    const out = f ? Promise.resolve(f) : new Promise<ReservedFile>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.refill();
    return out;
  }

  /**
   * `data` written (into the page cache, synchronously: microseconds) to a reserved file, its
   * fsync started on the pool and not awaited: the store renames it into place and awaits the
   * sync in its commit round (see UnsyncedFile).
   */
  async write(data: Uint8Array[]): Promise<UnsyncedFile> {
    const { fd, path } = await this.take();
    let size = 0;
    let crc = 0;
    try {
      for (const d of data) {
        size += d.byteLength;
        crc = crc32(d, crc);
      }
      let n = writevSync(fd, data);
      if (n < size) {
        writeAllSync(fd, Buffer.concat(data).subarray(n), n);
      }
    } catch (err) {
      closeSync(fd);
      await fsp.rm(path, { force: true });
      throw err;
    }
    return unsyncedFile(fd, path, size, crc);
  }

  /** Stop refilling; close and remove the files not taken. */
  async close(): Promise<void> {
    this.closed = true;
    const left = this.ready.splice(0);
    await Promise.all(left.map(async (f) => {
      await new Promise<void>((r) => closeFd(f.fd, () => r()));
      await fsp.rm(f.path, { force: true });
    }));
  }

  private refill(): void {
    while (this.ready.length + this.creating < this.depth + this.waiting.length) {
      this.creating++;
      createTemp(this.root).then((f) => {
        this.creating--;
        const w = this.waiting.shift();
        if (w) w.resolve(f);
        else if (this.closed) closeFd(f.fd, () => void fsp.rm(f.path, { force: true }));
        else this.ready.push(f);
      }, (err: Error) => {
        this.creating--;
        // a failure (disk full, tmpDir removed) is answered to one waiter; nothing retries in a loop
        this.waiting.shift()?.reject(err);
      });
    }
  }
}

async function createTemp(root: string): Promise<ReservedFile> {
  const path = tempFile(root, 'in');
  try {
    return { fd: await openAsync(path, 'wx', 0o600), path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fsp.mkdir(tmpDir(root), { recursive: true });
    return { fd: await openAsync(path, 'wx', 0o600), path };
  }
}

const openAsync = promisify(openFd);
