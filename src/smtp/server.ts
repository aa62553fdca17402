/**
 * The three SMTP listeners on smtp-server (CONTRACT.md ports):
 * - MX (`smtp.port`): STARTTLS offered, AUTH optional, local recipients only unless authenticated.
 * - Submission (`smtp.submission_port`, RFC 6409): STARTTLS, AUTH required.
 * - Submissions (`smtp.submissions_port`, RFC 8314): implicit TLS, AUTH required.
 * SIZE is advertised as `smtp.max_message_bytes`; larger messages get 552.
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Services } from '../services/index.js';
import { smtpHandlers, type SmtpMode } from './session.js';

/** One listener to start. */
interface Listener {
  name: 'smtp' | 'submission' | 'submissions';
  port: number | null;
  mode: SmtpMode;
  secure: boolean;
}

/** The running listeners. */
export interface SmtpServers {
  ports: { smtp: number | null; submission: number | null; submissions: number | null };
  close(): Promise<void>;
}

function options(services: Services, l: Listener, tls: { key: Buffer; cert: Buffer }): SMTPServerOptions {
  const { config } = services;
  return {
    ...smtpHandlers(services, l.mode),
    name: config.hostname,
    banner: 'rmail',
    secure: l.secure,
    key: tls.key,
    cert: tls.cert,
    size: config.smtp.max_message_bytes,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: l.mode === 'mx',
    // Plain-text AUTH is refused in onAuth unless the client is in trusted_networks.
    allowInsecureAuth: config.trusted_networks.length > 0,
    disableReverseLookup: true,
    // Neither DSN parameters (RFC 3461) nor REQUIRETLS (RFC 8689) are honoured, so neither is offered.
    hideDSN: true,
    hideREQUIRETLS: true,
    logger: false,
    maxClients: 1000,
    closeTimeout: 3000,
  } as SMTPServerOptions;
}

/**
 * The replies to a pipelined group of commands (RFC 2920: MAIL, RCPT..., DATA) leave in one
 * socket write: smtp-server writes each reply on its own, so replies made in one event-loop turn
 * are corked and sent together at the end of that turn (setImmediate; nothing waits for more
 * input). A 220 (greeting, STARTTLS go-ahead) is sent at once, since the TLS upgrade takes the
 * socket over right after it; after an upgrade replies go to the TLS socket, unbatched.
 */
export function batchReplies(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const flush = () => {
    if (!corked) return;
    corked = false;
    socket.uncork();
  };
  socket.write = function batched(this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && chunk.startsWith('220')) flush();
    else if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(flush);
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Socket['write'];
}

function listen(server: SMTPServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(port, host, () => {
      server.server.off('error', onError);
      const addr = server.server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** Start every enabled SMTP listener; `close` stops them (open sessions get closeTimeout). */
export async function startSmtpServers(services: Services, tls: { key: Buffer; cert: Buffer }, host: string): Promise<SmtpServers> {
  const { config, log } = services;
  const wanted: Listener[] = [
    { name: 'smtp', port: config.smtp.port, mode: 'mx', secure: false },
    { name: 'submission', port: config.smtp.submission_port, mode: 'submission', secure: false },
    { name: 'submissions', port: config.smtp.submissions_port, mode: 'submission', secure: true },
  ];
  const ports: SmtpServers['ports'] = { smtp: null, submission: null, submissions: null };
  const running: SMTPServer[] = [];
  const close = async () => {
    await Promise.all(running.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await services.delivery.close();
  };
  try {
    for (const l of wanted) {
      if (l.port === null) continue;
      const server = new SMTPServer(options(services, l, tls));
      if (!l.secure) server.server.prependListener('connection', batchReplies);
      server.on('error', (err) => log.warn('smtp: connection error', { service: l.name, err: (err as Error).message }));
      ports[l.name] = await listen(server, host, l.port);
      running.push(server);
      log.info('listening', { service: l.name, host, port: ports[l.name] });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { ports, close };
}
