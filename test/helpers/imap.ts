/** A raw IMAP test client: send tagged commands, collect untagged lines, answer literals. */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Test } from 'tap';

/** The answer to one command: untagged lines and the tagged status line. */
export interface Reply {
  untagged: string[];
  tagged: string;
  /** Everything received for this command, raw. */
  raw: string;
}

/** A line-oriented IMAP client over a socket, for scripts and malformed input. */
export class RawImap {
  private buf = '';
  private waiters: (() => void)[] = [];
  private n = 0;
  closed = false;

  constructor(public socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until the buffer matches `re` (or timeout); returns the buffer and clears it up to the match. */
  async waitFor(re: RegExp, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.buf);
      if (m) {
        const end = m.index + m[0].length;
        const out = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        return out;
      }
      if (this.closed) throw new Error(`closed while waiting for ${re}: ${this.buf}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; have ${JSON.stringify(this.buf.slice(-500))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Read the greeting line. */
  greeting(): Promise<string> {
    return this.waitFor(/\r\n/);
  }

  /** Send raw bytes. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Send `tag command` and wait for the tagged answer. Literals `{n}` wait for `+` first. */
  async cmd(text: string, tag = `T${++this.n}`): Promise<Reply> {
    const pieces = text.split(/(?<=\{\d+\})\r\n/);
    for (let i = 0; i < pieces.length; i++) {
      const last = i === pieces.length - 1;
      this.write((i === 0 ? `${tag} ` : '') + pieces[i] + (last ? '\r\n' : '\r\n'));
      if (!last) await this.waitFor(/^\+[^\r\n]*\r\n/m);
    }
    const raw = await this.waitFor(new RegExp(`(^|\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`));
    const lines = raw.split('\r\n').filter(Boolean);
    return { untagged: lines.filter((l) => l.startsWith('* ')), tagged: lines[lines.length - 1]!, raw };
  }

  /** Close the connection. */
  close(): void {
    this.socket.destroy();
  }
}

/** Connect to a plain IMAP port and read the greeting. */
export async function rawConnect(port: number): Promise<{ c: RawImap; greeting: string }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((r, j) => socket.once('connect', r).once('error', j));
  const c = new RawImap(socket);
  return { c, greeting: await c.greeting() };
}

/**
 * A raw session on `port` logged in as `user` (the LOGIN's OK asserted), closed when `t` ends.
 */
export async function rawLogin(t: Test, port: number, user: string, password: string): Promise<RawImap> {
  const { c } = await rawConnect(port);
  t.teardown(() => c.close());
  t.match((await c.cmd(`LOGIN ${user} ${password}`)).tagged, / OK /, `LOGIN ${user}`);
  return c;
}

/** Connect to an implicit-TLS port (self-signed certificate accepted) and read the greeting. */
export async function rawConnectTls(port: number): Promise<{ c: RawImap; greeting: string }> {
  const socket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  await new Promise((r, j) => socket.once('secureConnect', r).once('error', j));
  const c = new RawImap(socket);
  return { c, greeting: await c.greeting() };
}

/** A short RFC 822 message. */
export function sampleMessage(i = 1, extra = ''): string {
  return [
    `From: Sender ${i} <sender${i}@example.org>`,
    'To: Alice <alice@example.com>',
    `Subject: Test message ${i}`,
    `Message-ID: <msg${i}@example.org>`,
    'Date: Mon, 01 Jan 2024 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    extra,
    '',
    `Hello body ${i}`,
    '',
  ].filter((l, idx) => !(idx === 7 && l === '')).join('\r\n');
}
