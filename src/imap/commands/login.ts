/**
 * LOGIN userid password (RFC 3501 6.2.3) and the credential check shared with AUTHENTICATE.
 * Plaintext credentials only over TLS or from trusted_networks (LOGINDISABLED otherwise); the
 * lockout and the password check are the ones HTTP and SMTP use (services.auth.checkPassword).
 */
import { ImapError } from '../../common/errors.js';
import type { Session } from '../connection.js';
import { capabilities } from '../capabilities.js';
import { NOTAUTH, type CommandSpec } from './types.js';

/** Check credentials and log the session in; returns the tagged OK text. */
export async function authenticateSession(s: Session, username: string, password: string): Promise<string> {
  if (!s.credentialsAllowed) throw new ImapError('NO', 'Plaintext authentication needs TLS: use STARTTLS', 'PRIVACYREQUIRED');
  const result = await s.ctx.services.auth.checkPassword(username, password, s.ip);
  if (result === 'locked') throw new ImapError('NO', 'Too many failed attempts; try again later', 'UNAVAILABLE');
  if (result === 'disabled') throw new ImapError('NO', 'Account disabled', 'AUTHORIZATIONFAILED');
  if (result === 'bad-credentials') {
    await new Promise((r) => setTimeout(r, 200));
    throw new ImapError('NO', 'Invalid credentials', 'AUTHENTICATIONFAILED');
  }
  s.login(result);
  s.ctx.services.log.debug('imap login', { user: result.id, ip: s.ip });
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
