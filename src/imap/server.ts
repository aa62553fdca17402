/**
 * The IMAP listeners: plain + STARTTLS on `imap.port`, implicit TLS on `imap.tls_port`
 * (RFC 3501, RFC 8314). Each accepted socket becomes a Session; the per-IP connection cap is
 * enforced here with the HTTP API's per-IP request budget and lockout (whitelisted addresses
 * exempt), the per-user cap at login.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, Server as TlsServer } from 'node:tls';
import { normalizeIp } from '../common/net.js';
import type { Services } from '../services/index.js';
import { Session } from './connection.js';
import { bump, DEFAULT_LIMITS, type ImapContext, type ImapLimits } from './context.js';
import { EncodeCache } from './encode-cache.js';
import { RecentBook } from './recent.js';

/** A running IMAP front end. */
export interface ImapServer {
  /** Real ports (null when that listener is off). */
  ports: { imap: number | null; imaps: number | null };
  /** Limits in force. */
  limits: ImapLimits;
  /** Stop listening and close every connection. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/**
 * Start the IMAP listeners configured in `services.config.imap` (one 'listening' log line each).
 * `ports` and `limits` override the configured ports and the default limits (tests).
 */
export async function startImapServers(
  services: Services,
  tlsPair: { key: Buffer; cert: Buffer },
  host: string,
  opts: { ports?: { port: number | null; tls_port: number | null }; limits?: Partial<ImapLimits> } = {},
): Promise<ImapServer> {
  const ctx: ImapContext = {
    services,
    tls: createSecureContext({ key: tlsPair.key, cert: tlsPair.cert }),
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    perIp: new Map(),
    perUser: new Map(),
    cache: new EncodeCache(),
    recent: new RecentBook(
      (user, floors) => services.mail.saveRecent(user, floors),
      (err) => services.log.error('imap recent save failed', { err: err as Error }),
    ),
  };
  const sockets = new Set<Socket>();
  const accept = (socket: Socket, secure: boolean): void => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const exempt = services.auth.whitelisted(ip);
    const n = bump(ctx.perIp, ip, 1);
    socket.once('close', () => {
      sockets.delete(socket);
      bump(ctx.perIp, ip, -1);
    });
    if (!exempt && n > ctx.limits.perIp) {
      socket.end('* BYE [UNAVAILABLE] Too many connections from your address\r\n');
      return;
    }
    if (!services.auth.allowRequest(ip)) {
      socket.end('* BYE [UNAVAILABLE] Rate limit exceeded; try again later\r\n');
      return;
    }
    if (services.auth.isLocked(ip)) {
      socket.end('* BYE [UNAVAILABLE] Too many failed logins; try again later\r\n');
      return;
    }
    const session = new Session(ctx, socket, secure);
    session.serve().catch((err) => {
      services.log.error('imap session failed', { err: err as Error });
      socket.destroy();
    });
  };
  const servers: Server[] = [];
  const ports: ImapServer['ports'] = { imap: null, imaps: null };
  const want = opts.ports ?? services.config.imap;
  const log = services.log;
  if (want.port !== null) {
    const plain = createServer((s) => accept(s, false));
    ports.imap = await listen(plain, host, want.port);
    servers.push(plain);
    log.info('listening', { service: 'imap', host, port: ports.imap, tls: 'starttls' });
  }
  if (want.tls_port !== null) {
    const secure = new TlsServer({ key: tlsPair.key, cert: tlsPair.cert }, (s) => accept(s, true));
    secure.on('tlsClientError', () => {});
    ports.imaps = await listen(secure, host, want.tls_port);
    servers.push(secure);
    log.info('listening', { service: 'imaps', host, port: ports.imaps, tls: true });
  }
  // Port 0 picks a free port: describe the real ones (autoconfig reads the config).
  if (!opts.ports) {
    if (services.config.imap.port === 0) services.config.imap.port = ports.imap;
    if (services.config.imap.tls_port === 0) services.config.imap.tls_port = ports.imaps;
  }
  return {
    ports,
    limits: ctx.limits,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))).concat(
        [...sockets].map(async (s) => {
          s.destroy();
        }),
      ));
      await ctx.recent.flush(); // the \Recent floors claimed since the last save
    },
  };
}
