/**
 * The IMAP response writer's I/O half: responses are encoded straight into a 64 KiB slab and
 * written in big chunks with backpressure (await `drain` when the socket's buffer is full), so
 * FETCH 1:* of a big folder is a few large writes, no Buffer per response line, and a slow client
 * cannot make the server buffer without bound. Message bytes can be read from a file straight
 * into the slab (`readFrom`), so BODY[] is one read per message and no copy.
 */
import { readSync } from 'node:fs';
import type { Socket } from 'node:net';

const SLAB = 64 * 1024;
/**
 * Bytes a session may leave queued in its socket before a long response waits for the client
 * (the socket's own 16 KiB mark would make a FETCH wait for the client every 64 KiB, and each
 * wait costs a scheduler round trip on a loaded machine).
 */
const QUEUED_MAX = 1024 * 1024;
/** A flush smaller than this is copied out and the slab kept (one small response per command). */
const SMALL = 4096;

/** Buffered, backpressure-aware writer over a socket (replaceable on STARTTLS). */
export class Output {
  private slab = Buffer.allocUnsafeSlow(SLAB);
  private off = 0;
  private socket: Socket;
  private dead = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Write to a new socket from now on (after STARTTLS). */
  attach(socket: Socket): void {
    this.socket = socket;
  }

  /** True once the socket is gone; writes are dropped. */
  get closed(): boolean {
    return this.dead || this.socket.destroyed;
  }

  /** Queue text (UTF-8) or bytes; hands full slabs to the socket by itself (without waiting for drain). */
  write(data: string | Buffer): void {
    if (typeof data === 'string') {
      // UTF-8 needs at most 3 bytes per UTF-16 unit
      if (this.off + data.length * 3 > SLAB) {
        this.push();
        if (data.length * 3 > SLAB) {
          this.send(Buffer.from(data, 'utf8'));
          return;
        }
      }
      this.off += this.slab.write(data, this.off, 'utf8');
      return;
    }
    if (data.length > SMALL) {
      this.push();
      this.send(data);
      return;
    }
    if (this.off + data.length > SLAB) this.push();
    this.off += data.copy(this.slab, this.off);
  }

  /** Queue a copy of `length` bytes of `buf` from `start`. */
  writeBytes(buf: Buffer, start: number, length: number): void {
    if (length > SLAB) {
      this.push();
      this.send(Buffer.from(buf.subarray(start, start + length)));
      return;
    }
    if (this.off + length > SLAB) this.push();
    this.off += buf.copy(this.slab, this.off, start, start + length);
  }

  /** Queue one response line (CRLF added). */
  line(text: string): void {
    this.write(text + '\r\n');
  }

  /**
   * Queue `length` bytes of the open file `fd` from `position`, read straight into the slab (or
   * into one buffer of their own when bigger than a slab). Answers the bytes read (short at EOF).
   */
  readFrom(fd: number, position: number, length: number): number {
    if (length > SLAB) {
      const buf = Buffer.allocUnsafe(length);
      const n = readFully(fd, buf, 0, length, position);
      this.push();
      this.send(n === length ? buf : buf.subarray(0, n));
      return n;
    }
    if (this.off + length > SLAB) this.push();
    const n = readFully(fd, this.slab, this.off, length, position);
    this.off += n;
    return n;
  }

  private send(buf: Buffer): boolean {
    if (this.closed) return true;
    return this.socket.write(buf);
  }

  private push(): boolean {
    if (this.off === 0) return true;
    let chunk: Buffer;
    if (this.off <= SMALL) {
      chunk = Buffer.from(this.slab.subarray(0, this.off)); // copy; keep the slab
    } else {
      chunk = this.slab.subarray(0, this.off); // the socket owns it now
      this.slab = Buffer.allocUnsafeSlow(SLAB);
    }
    this.off = 0;
    return this.send(chunk);
  }

  /** Write everything queued and wait until the socket accepted it (drain when needed). */
  async flush(): Promise<void> {
    const ok = this.push();
    if (ok || this.closed) return;
    await this.drained();
  }

  /** Wait for the socket's buffer to empty below its high-water mark. */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** True when the caller should `await maybeDrain()` (QUEUED_MAX bytes wait in the socket). */
  get needsDrain(): boolean {
    return this.socket.writableLength >= QUEUED_MAX && !this.closed;
  }

  /** Wait for the client when QUEUED_MAX bytes wait in the socket (call between big pieces). */
  async maybeDrain(): Promise<void> {
    if (this.needsDrain) await this.drained();
  }

  /** Mark the writer dead (connection closing). */
  kill(): void {
    this.dead = true;
    this.off = 0;
  }
}

/** Read exactly `length` bytes unless the file ends first; answers the bytes read. */
function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
