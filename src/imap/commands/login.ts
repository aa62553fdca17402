/**
 * LOGIN userid password (RFC 3501 6.2.3) and the credential check shared with AUTHENTICATE.
 * Plaintext credentials only over TLS or from trusted_networks (LOGINDISABLED otherwise); the
 * lockout and the password check are the ones HTTP and SMTP use (services.auth.checkPassword).
 */
import { HttpError, ImapError } from '../../common/errors.js';
import type { Principal } from '../../services/auth.js';
import type { Session } from '../connection.js';
import { capabilities } from '../capabilities.js';
import { NOTAUTH, type CommandSpec } from './types.js';

/**
 * Check credentials and log the session in; returns the tagged OK text. The check goes through
 * the auth service's Basic-credential path, so a client reconnecting every few seconds does not
 * pay for scrypt each time (the cache is keyed by a hash of the credentials and dropped on any
 * password change) and the lockout is the one HTTP and SMTP share.
 */
export async function authenticateSession(s: Session, username: string, password: string): Promise<string> {
  if (!s.credentialsAllowed) throw new ImapError('NO', 'Plaintext authentication needs TLS: use STARTTLS', 'PRIVACYREQUIRED');
  const auth = s.ctx.services.auth;
  if (auth.isLocked(s.ip)) throw new ImapError('NO', 'Too many failed attempts; try again later', 'UNAVAILABLE');
  if (username.includes(':')) throw new ImapError('NO', 'Invalid credentials', 'AUTHENTICATIONFAILED');
  let principal: Principal | null;
  try {
    const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    principal = await auth.authenticate(`Basic ${basic}`, s.ip);
  } catch (err) {
    if (err instanceof HttpError && err.status === 429) throw new ImapError('NO', 'Too many failed attempts; try again later', 'UNAVAILABLE');
    if (err instanceof HttpError && err.status === 403) throw new ImapError('NO', 'Account disabled', 'AUTHORIZATIONFAILED');
    throw err;
  }
  if (!principal) {
    await new Promise((r) => setTimeout(r, 200));
    throw new ImapError('NO', 'Invalid credentials', 'AUTHENTICATIONFAILED');
  }
  s.login(principal);
  s.ctx.services.log.debug('imap login', { user: principal.id, ip: s.ip });
  return `[CAPABILITY ${capabilities(s)}] Logged in`;
}

/** LOGIN */
export const login: CommandSpec = {
  name: 'LOGIN',
  states: NOTAUTH,
  async run(s, args) {
    const user = args.astring('user name');
    const pass = args.astring('password');
    args.end();
    return authenticateSession(s, user, pass);
  },
};
