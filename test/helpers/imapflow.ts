/** imapflow clients against a test server (self-signed TLS accepted, logs off). */
import { ImapFlow } from 'imapflow';

/** Connect and log in with imapflow; closed at teardown. */
export async function flow(
  t: { teardown(fn: () => unknown): void },
  port: number,
  user: string,
  pass: string,
  opts: { secure?: boolean; qresync?: boolean } = {},
): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: opts.secure ?? false,
    auth: { user, pass },
    logger: false,
    tls: { rejectUnauthorized: false },
    qresync: opts.qresync ?? false,
    disableAutoIdle: true,
  });
  c.on('error', () => {});
  await c.connect();
  t.teardown(() => c.logout().catch(() => c.close()));
  return c;
}

/** imapflow answers `false` where a command found nothing: fail the test there, else narrow. */
export function got<T>(v: T | false | null | undefined, what = 'imapflow result'): T {
  if (v === false || v === null || v === undefined) throw new Error(`${what}: none`);
  return v;
}
