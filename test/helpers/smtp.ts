/** SMTP test helpers: a raw line client (for exact reply codes) and a fake remote MX / smarthost. */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** One SMTP reply: code and the text of every line. */
export interface Reply {
  code: number;
  lines: string[];
  text: string;
}

/** A raw SMTP client: `await c.cmd('EHLO x')` answers the full (multi-line) reply. */
export class RawSmtp {
  private buf = '';
  private waiters: ((r: Reply) => void)[] = [];
  private replies: Reply[] = [];
  private pending: string[] = [];

  private constructor(private sock: Socket | TLSSocket) {
    this.attach();
  }

  /** Connect (implicit TLS when `tls`) and read the greeting. */
  static async open(port: number, opts: { tls?: boolean } = {}): Promise<{ c: RawSmtp; greeting: Reply }> {
    const sock = opts.tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : netConnect({ port, host: '127.0.0.1' });
    const c = new RawSmtp(sock);
    const greeting = await c.read();
    return { c, greeting };
  }

  private attach(): void {
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        this.pending.push(line);
        if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
          const lines = this.pending.map((l) => l.slice(4));
          const r = { code: Number(line.slice(0, 3)), lines, text: lines.join('\n') };
          this.pending = [];
          const w = this.waiters.shift();
          if (w) w(r);
          else this.replies.push(r);
        }
      }
    });
    this.sock.on('error', () => {});
  }

  /** The next reply. */
  read(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Send one line and read the reply. */
  async cmd(line: string): Promise<Reply> {
    this.sock.write(`${line}\r\n`);
    return this.read();
  }

  /** Send raw bytes (message data) and read the reply. */
  async data(body: string): Promise<Reply> {
    this.sock.write(body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..') + '\r\n.\r\n');
    return this.read();
  }

  /** STARTTLS and switch the socket to TLS. */
  async starttls(): Promise<Reply> {
    const r = await this.cmd('STARTTLS');
    if (r.code !== 220) return r;
    this.sock.removeAllListeners('data');
    this.sock = tlsConnect({ socket: this.sock as Socket, rejectUnauthorized: false });
    await new Promise<void>((resolve) => (this.sock as TLSSocket).once('secureConnect', () => resolve()));
    this.attach();
    return r;
  }

  /** AUTH PLAIN with the initial response. */
  authPlain(user: string, pass: string): Promise<Reply> {
    return this.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`);
  }

  /** QUIT and close. */
  async close(): Promise<void> {
    this.sock.write('QUIT\r\n');
    this.sock.end();
  }
}

/** A message a fake remote server received. */
export interface Received {
  from: string;
  to: string[];
  data: Buffer;
}

/** A fake remote MX / smarthost: records messages; `reply` decides each RCPT's fate. */
export interface FakeRemote {
  port: number;
  received: Received[];
  /** Return an error code for an RCPT (e.g. 450 or 550) or 0 to accept. */
  rcptReply: (address: string) => number;
  /** Logins seen (when auth is used). */
  logins: string[];
  close(): Promise<void>;
}

/** Start a fake remote SMTP server on 127.0.0.1 (plain, optional AUTH). */
export async function startFakeRemote(t: { teardown(fn: () => unknown): void }, opts: Partial<SMTPServerOptions> = {}): Promise<FakeRemote> {
  const fake: FakeRemote = { port: 0, received: [], rcptReply: () => 0, logins: [], close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onAuth(auth, _s, cb) {
      fake.logins.push(`${auth.username}:${auth.password}`);
      cb(null, { user: auth.username });
    },
    onRcptTo(addr, _s, cb) {
      const code = fake.rcptReply(addr.address);
      if (code) cb(Object.assign(new Error(`${code === 550 ? '5.1.1' : '4.2.0'} rejected by fake`), { responseCode: code }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        fake.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
        });
        cb();
      });
    },
    ...opts,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.server.address();
  fake.port = typeof addr === 'object' && addr ? addr.port : 0;
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  t.teardown(() => fake.close());
  return fake;
}

/** Wait until `fn` returns truthy (polling), or fail after `ms`. */
export async function eventually<T>(fn: () => T | Promise<T>, ms = 5000): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
