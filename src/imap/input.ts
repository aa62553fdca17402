/**
 * Pull-based input for one IMAP connection: the socket pushes chunks, the session awaits lines
 * and literal bytes. Buffering is bounded: past `highWater` bytes the socket is paused until the
 * session reads, so a client that floods commands cannot grow memory.
 */
import type { Socket } from 'node:net';
import type { FileHandle } from 'node:fs/promises';

/** Result of reading a line: the bytes without CRLF, or 'toolong' after discarding it. */
export type LineResult = Buffer | 'toolong';

/** Buffered reader over a socket (replaceable on STARTTLS). */
export class Input {
  private chunks: Buffer[] = [];
  private size = 0;
  private waiter: (() => void) | null = null;
  private ended = false;
  private socket: Socket;
  private paused = false;

  constructor(socket: Socket, private readonly highWater = 1 << 20) {
    this.socket = socket;
    this.attach(socket);
  }

  private detachFn: (() => void) | null = null;

  /** Read from a new socket (the TLS one after STARTTLS). */
  attach(socket: Socket): void {
    this.detach();
    this.socket = socket;
    this.paused = false;
    const onData = (chunk: Buffer): void => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      if (this.size > this.highWater && !this.paused) {
        this.paused = true;
        socket.pause();
      }
      this.wake();
    };
    const onEnd = (): void => this.finish();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
    this.detachFn = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
    };
  }

  /** Stop reading from the current socket (before STARTTLS hands it to TLS). */
  detach(): void {
    this.detachFn?.();
    this.detachFn = null;
  }

  /** Drop unread bytes (STARTTLS must not carry plaintext into the TLS session). */
  discard(): number {
    const n = this.size;
    this.chunks = [];
    this.size = 0;
    return n;
  }

  /** Number of bytes buffered and not yet read. */
  get buffered(): number {
    return this.size;
  }

  /** True once the peer is gone and nothing is left to read. */
  get closed(): boolean {
    return this.ended && this.size === 0;
  }

  private finish(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private wait(): Promise<void> {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0); // a {0} literal: there may be no chunk to look at
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.size -= n;
    return out;
  }

  /** Index of the LF ending the first line, or -1 (scans at most `limit` bytes). */
  private findLf(limit: number): number {
    let base = 0;
    for (const c of this.chunks) {
      const i = c.indexOf(0x0a);
      if (i >= 0) return base + i;
      base += c.length;
      if (base > limit) return -1;
    }
    return -1;
  }

  /** Await one line (CRLF or bare LF stripped); null at end of input; longer than `max`: discarded. */
  async line(max: number): Promise<LineResult | null> {
    let discarding = false;
    for (;;) {
      const i = this.findLf(max + 2);
      if (i >= 0) {
        const raw = this.take(i + 1);
        if (discarding || i > max + 1) return 'toolong';
        const end = raw.length >= 2 && raw[raw.length - 2] === 0x0d ? raw.length - 2 : raw.length - 1;
        return Buffer.from(raw.subarray(0, end));
      }
      if (this.size > max + 2) {
        // Too long: drop through the end of this line only, keeping pipelined commands after it.
        const lf = this.findLf(Number.MAX_SAFE_INTEGER);
        if (lf >= 0) {
          this.take(lf + 1);
          return 'toolong';
        }
        discarding = true;
        this.take(this.size);
      }
      if (this.ended) return null;
      await this.wait();
    }
  }

  /** Await exactly `n` bytes; null when the peer leaves first. */
  async bytes(n: number): Promise<Buffer | null> {
    while (this.size < n) {
      if (this.ended) return null;
      await this.wait();
    }
    return Buffer.from(this.take(n));
  }

  /** Write exactly `n` bytes to `fh` (or drop them when fh is null); false when the peer leaves first. */
  async toFile(n: number, fh: FileHandle | null): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.size === 0) {
        if (this.ended) return false;
        await this.wait();
        continue;
      }
      const k = Math.min(left, this.chunks[0]!.length);
      const piece = this.take(k);
      if (fh) await fh.write(piece);
      left -= k;
    }
    return true;
  }
}
