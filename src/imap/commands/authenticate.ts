/**
 * AUTHENTICATE PLAIN [initial-response] (RFC 3501 6.2.2, RFC 4959 SASL-IR, RFC 4616 PLAIN).
 * Without an initial response the server sends `+ ` and reads one base64 line; `*` cancels.
 */
import { ImapError } from '../../common/errors.js';
import { authenticateSession } from './login.js';
import { NOTAUTH, type CommandSpec } from './types.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** AUTHENTICATE */
export const authenticate: CommandSpec = {
  name: 'AUTHENTICATE',
  states: NOTAUTH,
  async run(s, args) {
    const mech = args.atom('mechanism').toUpperCase();
    let response = args.done() ? null : args.atom('initial response');
    args.end();
    if (mech !== 'PLAIN') throw new ImapError('NO', `Unsupported mechanism ${mech.slice(0, 20)}`, 'CANNOT');
    if (!s.credentialsAllowed) throw new ImapError('NO', 'Plaintext authentication needs TLS: use STARTTLS', 'PRIVACYREQUIRED');
    if (response === null) {
      s.out.line('+ ');
      await s.out.flush();
      const line = await s.readLine();
      if (line === null) throw new ImapError('BAD', 'Connection closed');
      response = line.toString('latin1');
    }
    if (response === '*') throw new ImapError('BAD', 'Authentication cancelled');
    if (response === '=') response = '';
    if (!BASE64.test(response)) throw new ImapError('BAD', 'Bad base64');
    const parts = Buffer.from(response, 'base64').toString('utf8').split('\0');
    if (parts.length !== 3) throw new ImapError('BAD', 'Bad PLAIN response');
    const [authz, authc, pass] = parts as [string, string, string];
    if (authz && authz.toLowerCase() !== authc.toLowerCase()) throw new ImapError('NO', 'Proxy authorization not allowed', 'AUTHORIZATIONFAILED');
    return authenticateSession(s, authc, pass);
  },
};
