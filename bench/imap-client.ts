/** A small literal-aware IMAP client for benches: tagged commands, byte counts, no parsing beyond framing. */
import { connect, type Socket } from 'node:net';

interface Pending {
  tag: string;
  resolve: (r: { status: string; bytes: number; lines: number }) => void;
  reject: (e: Error) => void;
  bytes: number;
  lines: number;
}

/** One IMAP connection; `cmd` resolves with the tagged status line once the server answers. */
export class BenchImap {
  private buf: Buffer = Buffer.alloc(0);
  private skip = 0;
  private n = 0;
  private queue: Pending[] = [];
  private greeted: Promise<void>;
  private onGreeting: (() => void) | null = null;
  private onCont: (() => void) | null = null;

  private constructor(private readonly sock: Socket) {
    this.greeted = new Promise((r) => {
      this.onGreeting = r;
    });
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.feed(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connect and wait for the greeting. */
  static async open(port: number): Promise<BenchImap> {
    const sock = connect(port, '127.0.0.1');
    await new Promise((r, j) => sock.once('connect', r).once('error', j));
    const c = new BenchImap(sock);
    await c.greeted;
    return c;
  }

  private fail(e: Error): void {
    for (const p of this.queue.splice(0)) p.reject(e);
  }

  private feed(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let pos = 0;
    for (;;) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, this.buf.length - pos);
        this.skip -= k;
        pos += k;
        if (this.queue[0]) this.queue[0].bytes += k;
        if (this.skip > 0) break;
      }
      const nl = this.buf.indexOf(10, pos);
      if (nl < 0) break;
      const line = this.buf.subarray(pos, nl + 1);
      pos = nl + 1;
      const head = this.queue[0];
      if (head) {
        head.bytes += line.length;
        head.lines++;
      }
      const m = /\{(\d+)\}\r\n$/.exec(line.subarray(Math.max(0, line.length - 24)).toString('latin1'));
      if (m) {
        this.skip = Number(m[1]);
        continue;
      }
      const text = line.toString('latin1');
      if (this.onGreeting) {
        this.onGreeting();
        this.onGreeting = null;
        continue;
      }
      if (text.startsWith('+')) {
        this.onCont?.();
        this.onCont = null;
        continue;
      }
      if (head && text.startsWith(`${head.tag} `)) {
        this.queue.shift();
        head.resolve({ status: text.trim(), bytes: head.bytes, lines: head.lines });
      }
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  /** Send a command and wait for its tagged answer; throws unless it is OK. */
  cmd(text: string, literal?: Buffer): Promise<{ status: string; bytes: number; lines: number }> {
    const tag = `b${++this.n}`;
    const p = new Promise<{ status: string; bytes: number; lines: number }>((resolve, reject) => {
      this.queue.push({ tag, resolve, reject, bytes: 0, lines: 0 });
    }).then((r) => {
      if (!/^\S+ OK/.test(r.status)) throw new Error(`${text.slice(0, 40)}: ${r.status}`);
      return r;
    });
    if (literal) {
      this.onCont = () => this.sock.write(Buffer.concat([literal, Buffer.from('\r\n')]));
      this.sock.write(`${tag} ${text} {${literal.length}}\r\n`);
    } else {
      this.sock.write(`${tag} ${text}\r\n`);
    }
    return p;
  }

  /** Log out and close. */
  async close(): Promise<void> {
    await this.cmd('LOGOUT').catch(() => undefined);
    this.sock.destroy();
  }
}
