/**
 * The smtp-server callbacks (RFC 5321, RFC 4954 AUTH, RFC 6409 submission), thin, calling
 * services. Policy:
 * - AUTH PLAIN/LOGIN only over TLS or from `trusted_networks`, through the shared credential
 *   check and lockout (454 while locked out, 535 on bad credentials).
 * - MAIL FROM of an authenticated client must be the user or an address that resolves to them (553).
 * - RCPT: a local recipient must exist (550) and have room (452/552); a remote one needs an
 *   authenticated client, else 554 relay denied — never an open relay.
 * - DATA: spooled (memory, or a temp file past 1 MiB), Received (+ Authentication-Results for
 *   unauthenticated mail) prepended, each local copy durable and remote ones queued before 250.
 */
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Services } from '../services/index.js';
import type { Principal } from '../services/auth.js';
import { Spool } from '../services/spool.js';
import type { CopyOutcome, ClientInfo } from '../services/delivery.js';
import { SmtpError } from '../common/errors.js';
import { inTrustedNetworks, normalizeIp } from '../common/net.js';

/** Which listener a session belongs to. */
export type SmtpMode = 'mx' | 'submission';

type Callback = (err?: Error | null) => void;

const MAX_RECIPIENTS = 100;

/** The wire form of an error: smtp-server sends `responseCode` and the message. */
function wire(err: unknown): Error {
  if (err instanceof SmtpError) {
    return Object.assign(new Error(err.enhanced ? `${err.enhanced} ${err.message}` : err.message), { responseCode: err.code });
  }
  return Object.assign(new Error('4.3.0 Internal server error, try again later'), { responseCode: 451 });
}

/** Routes of accepted recipients (userId for local ones), keyed by the address object. */
const routes = new WeakMap<SMTPServerAddress, string | null>();

const principalOf = (session: SMTPServerSession): Principal | undefined => session.user as unknown as Principal | undefined;

/** Build the callbacks of one listener. */
export function smtpHandlers(services: Services, mode: SmtpMode) {
  const { auth, delivery, outbound, config, log } = services;
  const ip = (s: SMTPServerSession) => normalizeIp(s.remoteAddress);

  const guard = (cb: Callback, fn: () => Promise<void>) => {
    fn().then(() => cb(), (err) => {
      if (!(err instanceof SmtpError)) log.error('smtp: callback failed', { err: err as Error });
      cb(wire(err));
    });
  };

  return {
    onConnect(session: SMTPServerSession, cb: Callback): void {
      if (!auth.allowRequest(ip(session))) cb(wire(new SmtpError(421, 'Too many connections from your address, try later', '4.7.0')));
      else cb();
    },

    onAuth(a: SMTPServerAuthentication, session: SMTPServerSession, cb: (err: Error | null | undefined, res?: { user?: unknown }) => void): void {
      const addr = ip(session);
      if (!session.secure && !inTrustedNetworks(addr, config.trusted_networks)) {
        cb(wire(new SmtpError(538, 'Encryption required for requested authentication mechanism', '5.7.11')));
        return;
      }
      // RFC 4616 section 2: an authzid other than the authcid needs proxy rights, which nobody has.
      const authzid = (a as { authzid?: string }).authzid ?? '';
      if (authzid && a.username && authzid.toLowerCase() !== a.username.toLowerCase()) {
        cb(wire(new SmtpError(535, 'Authorization identity must be the authenticated user', '5.7.8')));
        return;
      }
      auth.checkPassword(a.username ?? '', a.password ?? '', addr).then((r) => {
        if (r === 'locked') cb(wire(new SmtpError(454, 'Too many failed attempts, try again later', '4.7.0')));
        else if (r === 'disabled') cb(wire(new SmtpError(535, 'Account disabled', '5.7.8')));
        else if (r === 'bad-credentials') cb(wire(new SmtpError(535, 'Authentication credentials invalid', '5.7.8')));
        else {
          log.info('smtp: authenticated', { user: r.id, ip: addr, mode });
          cb(null, { user: r });
        }
      }, (err) => cb(wire(err)));
    },

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void {
      guard(cb, async () => {
        if (!auth.allowRequest(ip(session))) throw new SmtpError(421, 'Rate limit exceeded, try later', '4.7.0');
        const p = principalOf(session);
        if (mode === 'submission' && !p) throw new SmtpError(530, 'Authentication required', '5.7.0');
        if (p && !(await delivery.owns(p.id, address.address))) {
          throw new SmtpError(553, `<${address.address}>: sender address not owned by ${p.id}`, '5.7.1');
        }
      });
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void {
      guard(cb, async () => {
        if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) throw new SmtpError(452, 'Too many recipients', '4.5.3');
        const route = await delivery.route(address.address);
        if (!route.local) {
          if (!principalOf(session)) throw new SmtpError(554, `<${address.address}>: relay access denied`, '5.7.1');
          routes.set(address, null);
          return;
        }
        const from = session.envelope.mailFrom;
        const declared = from && from.args ? Number((from.args as Record<string, string | undefined>).SIZE ?? 0) || 0 : 0;
        await delivery.checkQuota(route.userId, declared);
        routes.set(address, route.userId);
      });
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void {
      receive(services, mode, stream, session).then((msg) => cb(null, msg), (err) => {
        if (!(err instanceof SmtpError)) log.error('smtp: DATA failed', { err: err as Error });
        cb(wire(err));
      });
    },
  };
}

/** Spool, then deliver locally and queue remote recipients; answers the 250 text. */
async function receive(services: Services, mode: SmtpMode, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const { config, delivery, outbound, log } = services;
  const spool = await Spool.from(config.mail_root, stream, config.smtp.max_message_bytes);
  try {
    if (stream.sizeExceeded || spool.size > config.smtp.max_message_bytes) {
      throw new SmtpError(552, `Message exceeds fixed maximum message size ${config.smtp.max_message_bytes}`, '5.3.4');
    }
    const p = principalOf(session);
    const rcpts = session.envelope.rcptTo;
    const mailFrom = session.envelope.mailFrom;
    const info: ClientInfo = {
      ip: normalizeIp(session.remoteAddress), helo: session.hostNameAppearsAs, sender: mailFrom ? mailFrom.address : '',
      protocol: `ESMTP${session.secure ? 'S' : ''}${p ? 'A' : ''}`, id: session.id,
      recipient: rcpts.length === 1 ? rcpts[0]!.address : undefined,
    };
    const received = delivery.receivedHeader(info);
    const local = rcpts.filter((r) => routes.get(r));
    const remote = rcpts.filter((r) => routes.get(r) === null).map((r) => r.address);
    let outcomes: CopyOutcome[] = [];
    if (local.length) {
      const authHeaders = p ? '' : await delivery.authResults(spool, info);
      outcomes = await delivery.deliver(spool, authHeaders + received, local.map((r) => routes.get(r)!));
    }
    const failed = outcomes.filter((o): o is Extract<CopyOutcome, { ok: false }> => !o.ok);
    if (failed.length && failed.length === outcomes.length && remote.length === 0) throw failed[0]!.error;
    const queueId = remote.length ? await outbound.enqueueSpool(info.sender, remote, spool, received) : null;
    if (failed.length) await bounceLocalFailures(services, info.sender, failed, local, await spool.head());
    log.info('smtp: accepted', {
      mode, id: session.id, size: spool.size, delivered: outcomes.length - failed.length, failed: failed.length, queued: remote.length,
    });
    return queueId ? `OK: queued as ${queueId}` : 'OK: message delivered';
  } finally {
    await spool.dispose();
  }
}

/** Some local copies failed after others succeeded: one DSN to the sender for those. */
async function bounceLocalFailures(
  services: Services, sender: string, failed: Extract<CopyOutcome, { ok: false }>[], rcpts: SMTPServerAddress[], head: Buffer,
): Promise<void> {
  if (!sender) return;
  const byUser = new Map(rcpts.map((r) => [routes.get(r)!, r.address]));
  await services.outbound.bounceNow(sender, failed.map((f) => ({
    address: byUser.get(f.userId) ?? f.userId,
    diagnostic: `${f.error.code} ${f.error.enhanced ?? ''} ${f.error.message}`.replace(/\s+/g, ' '),
  })), head);
}
