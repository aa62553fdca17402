/**
 * The IMAP response writer's I/O half: responses are encoded straight into a 64 KiB slab and
 * written in big chunks with backpressure (await `drain` when the socket's buffer is full), so
 * FETCH 1:* of a big folder is a few large writes, no Buffer per response line, and a slow client
 * cannot make the server buffer without bound. Message bytes can be read from a file straight
 * into the slab (`readFrom`), so BODY[] is one read per message and no copy. Slabs the socket has
 * written are kept for reuse (a fresh 64 KiB buffer per write cost page faults and GC work). One
 * response can be held (`hold`) so that it is written whole or not at all (`rewind`), e.g. when a
 * message file turns out shorter than its recorded size after the literal's length was written.
 */
import { readSync } from 'node:fs';
import type { Socket } from 'node:net';

const SLAB = 64 * 1024;
/**
 * Bytes a session may leave queued in its socket before a long response waits for the client
 * (the socket's own 16 KiB mark would make a FETCH wait for the client every 64 KiB, and each
 * wait costs a scheduler round trip on a loaded machine).
 */
export const QUEUED_MAX = 1024 * 1024;
/** A flush smaller than this is copied out and the slab kept (one small response per command). */
const SMALL = 4096;
/** Written slabs kept for reuse, shared by every session of the process (at most 1 MiB). */
const spare: Buffer[] = [];
const SPARE_MAX = 16;

function freshSlab(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(SLAB);
}

/** Buffered, backpressure-aware writer over a socket (replaceable on STARTTLS). */
export class Output {
  private slab = freshSlab();
  private off = 0;
  private socket: Socket;
  private dead = false;
  /** Slab offset where the held response starts, or -1 when none is held. */
  private heldFrom = -1;

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
      const most = data.length * 3;
      if (this.off + most > this.slab.length) {
        if (most > SLAB && this.heldFrom < 0) {
          this.push();
          this.send(Buffer.from(data, 'utf8'));
          return;
        }
        this.room(most);
      }
      this.off += this.slab.write(data, this.off, 'utf8');
      return;
    }
    if (data.length > SMALL && this.heldFrom < 0) {
      this.push();
      this.send(data);
      return;
    }
    this.room(data.length);
    this.off += data.copy(this.slab, this.off);
  }

  /** Queue a copy of `length` bytes of `buf` from `start`. */
  writeBytes(buf: Buffer, start: number, length: number): void {
    if (length > SLAB && this.heldFrom < 0) {
      this.push();
      this.send(Buffer.from(buf.subarray(start, start + length)));
      return;
    }
    this.room(length);
    this.off += buf.copy(this.slab, this.off, start, start + length);
  }

  /** Queue one response line (CRLF added). */
  line(text: string): void {
    this.write(text + '\r\n');
  }

  /**
   * Queue `length` bytes of the open file `fd` from `position`, read straight into the slab (or,
   * unless a response is held, into one buffer of their own when bigger than a slab). Answers
   * the bytes read (short at EOF); what was read is queued either way.
   */
  readFrom(fd: number, position: number, length: number): number {
    if (length > SLAB && this.heldFrom < 0) {
      const buf = Buffer.allocUnsafe(length);
      const n = readFully(fd, buf, 0, length, position);
      this.push();
      this.send(n === length ? buf : buf.subarray(0, n));
      return n;
    }
    this.room(length);
    const n = readFully(fd, this.slab, this.off, length, position);
    this.off += n;
    return n;
  }

  /**
   * Hold what is queued from now on (one response of bounded size) until `release` or `rewind`:
   * none of it reaches the socket before then. What was queued before goes out as usual.
   */
  hold(): void {
    this.heldFrom = this.off;
  }

  /** Let the held response go out with the rest. */
  release(): void {
    this.heldFrom = -1;
  }

  /** Drop the held response, as if it had never been written. */
  rewind(): void {
    if (this.heldFrom >= 0) this.off = this.heldFrom;
    this.heldFrom = -1;
  }

  /**
   * Make room for `n` more bytes in the slab: hand what is queued to the socket and start a fresh
   * slab. A held response moves to the fresh slab (only what precedes it is sent), which is made
   * big enough for it when a slab is not.
   */
  private room(n: number): void {
    if (this.off + n <= this.slab.length) return;
    const from = this.heldFrom < 0 ? this.off : this.heldFrom;
    const keep = this.off - from;
    const old = this.slab;
    this.slab = keep + n <= SLAB ? freshSlab() : Buffer.allocUnsafeSlow(Math.max(2 * SLAB, keep + n));
    if (keep) old.copy(this.slab, 0, from, this.off);
    this.off = keep;
    if (this.heldFrom >= 0) this.heldFrom = 0;
    this.sendSlab(old, from);
  }

  /** Send the first `length` bytes of a slab we no longer write to; it is reused once written. */
  private sendSlab(slab: Buffer, length: number): void {
    if (length <= SMALL || this.closed) {
      if (length > 0) this.send(Buffer.from(slab.subarray(0, length)));
      this.recycle(slab);
      return;
    }
    this.socket.write(slab.subarray(0, length), (err) => {
      if (!err) this.recycle(slab);
    });
  }

  private recycle(slab: Buffer): void {
    if (slab.length === SLAB && spare.length < SPARE_MAX) spare.push(slab);
  }

  private send(buf: Buffer): boolean {
    if (this.closed) return true;
    return this.socket.write(buf);
  }

  /** Hand everything queued to the socket; false when the socket asks the writer to wait. */
  private push(): boolean {
    if (this.off === 0) return true;
    if (this.off <= SMALL) {
      const ok = this.send(Buffer.from(this.slab.subarray(0, this.off))); // copy; keep the slab
      this.off = 0;
      return ok;
    }
    const old = this.slab;
    const length = this.off;
    this.slab = freshSlab();
    this.off = 0;
    this.sendSlab(old, length);
    return !this.socket.writableNeedDrain;
  }

  /** Write everything queued and wait until the socket accepted it (drain when needed). */
  async flush(): Promise<void> {
    this.release();
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
    this.heldFrom = -1;
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
