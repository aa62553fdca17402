/**
 * The IMAP response writer's I/O half: responses are gathered into big chunks and written with
 * backpressure (await `drain` when the socket's buffer is full), so FETCH 1:* of a big folder is a
 * few large writes and a slow client cannot make the server buffer without bound.
 */
import type { Socket } from 'node:net';

const CHUNK = 64 * 1024;

/** Buffered, backpressure-aware writer over a socket (replaceable on STARTTLS). */
export class Output {
  private parts: (string | Buffer)[] = [];
  private pending = 0;
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

  /** Queue text or bytes; flushes by itself past 64 KiB (without waiting for drain). */
  write(data: string | Buffer): void {
    this.parts.push(data);
    this.pending += data.length;
    if (this.pending >= CHUNK) this.push();
  }

  /** Queue one response line (CRLF added). */
  line(text: string): void {
    this.write(text + '\r\n');
  }

  private push(): boolean {
    if (this.parts.length === 0) return true;
    const parts = this.parts;
    this.parts = [];
    this.pending = 0;
    if (this.closed) return true;
    let buf: Buffer;
    if (parts.length === 1) {
      const p = parts[0]!;
      buf = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    } else {
      buf = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    }
    return this.socket.write(buf);
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

  /** Flush and wait when the socket's buffer is full (call between big pieces). */
  async maybeDrain(): Promise<void> {
    if (this.pending >= CHUNK) this.push();
    if (this.socket.writableNeedDrain) await this.drained();
  }

  /** Mark the writer dead (connection closing). */
  kill(): void {
    this.dead = true;
    this.parts = [];
  }
}
