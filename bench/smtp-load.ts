/** A lean SMTP load generator: N connections, each sending its share of messages (PIPELINING of MAIL/RCPT/DATA). */
import { connect, createServer, type Socket } from 'node:net';

/** Result of one load run. */
export interface LoadResult {
  /** Per-message latency, MAIL FROM sent to 250 after the final dot (ms). */
  latencies: number[];
  start: number;
  end: number;
  errors: number;
  firstError?: string;
}

class Conn {
  private buf = '';
  private pending: string[] = [];
  private waiters: ((r: { code: number; text: string }) => void)[] = [];
  private replies: { code: number; text: string }[] = [];

  constructor(readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.setNoDelay(true);
    sock.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        this.pending.push(line);
        if (line.length >= 3 && line[3] !== '-') {
          const r = { code: Number(line.slice(0, 3)), text: this.pending.join('\n') };
          this.pending = [];
          const w = this.waiters.shift();
          if (w) w(r);
          else this.replies.push(r);
        }
      }
    });
  }

  read(): Promise<{ code: number; text: string }> {
    const r = this.replies.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** A 10 KB-ish message (`size` bytes of body) with a unique Message-ID. */
export function makeMessage(i: number, to: string, size: number): string {
  const line = 'The quick brown fox jumps over the lazy dog, again and again, for the benchmark.\r\n';
  const body = line.repeat(Math.max(1, Math.ceil(size / line.length)));
  return `From: Bench <bench@remote.test>\r\nTo: <${to}>\r\nSubject: bench message ${i}\r\n`
    + `Message-ID: <bench-${i}-${Date.now()}@remote.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\n`
    + `Content-Type: text/plain; charset=us-ascii\r\n\r\n${body}`;
}

/** Send `messages` messages over `connections` connections to 127.0.0.1:port, recipients round-robin. */
export async function smtpLoad(port: number, opts: { messages: number; connections: number; size: number; rcpts: string[] }): Promise<LoadResult> {
  const res: LoadResult = { latencies: [], start: Date.now(), end: 0, errors: 0 };
  let next = 0;
  const worker = async () => {
    const sock = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => sock.once('connect', () => resolve()).once('error', reject));
    const c = new Conn(sock);
    await c.read();
    sock.write('EHLO bench.remote.test\r\n');
    await c.read();
    for (;;) {
      const i = next++;
      if (i >= opts.messages) break;
      const to = opts.rcpts[i % opts.rcpts.length]!;
      const data = makeMessage(i, to, opts.size);
      const t0 = performance.now();
      sock.write(`MAIL FROM:<bench@remote.test>\r\nRCPT TO:<${to}>\r\nDATA\r\n`);
      const [m, r, d] = [await c.read(), await c.read(), await c.read()];
      if (m.code !== 250 || r.code !== 250 || d.code !== 354) {
        res.errors++;
        res.firstError ??= `${m.text} / ${r.text} / ${d.text}`;
        sock.write('RSET\r\n');
        await c.read();
        continue;
      }
      sock.write(`${data}\r\n.\r\n`);
      const done = await c.read();
      if (done.code !== 250) {
        res.errors++;
        res.firstError ??= done.text;
      } else res.latencies.push(performance.now() - t0);
    }
    sock.end('QUIT\r\n');
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  res.end = Date.now();
  return res;
}

/** Poll `count` until it reaches `target`; resolves with the time it did (ms since epoch). */
export async function whenCount(count: () => Promise<number>, target: number, everyMs: number, timeoutMs: number): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await count()) >= target) return Date.now();
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return null;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
