/** STARTTLS (RFC 3501 6.2.1): answer OK, then handshake on the same socket; buffered plaintext is dropped. */
import { ImapError } from '../../common/errors.js';
import { NOTAUTH, type CommandSpec } from './types.js';

/** STARTTLS */
export const starttls: CommandSpec = {
  name: 'STARTTLS',
  states: NOTAUTH,
  async run(s, args, cmd) {
    args.end();
    if (s.secure) throw new ImapError('BAD', 'TLS is already active');
    if (s.input.buffered > 0) throw new ImapError('BAD', 'No pipelining after STARTTLS');
    try {
      await s.startTls(`${cmd.tag} OK Begin TLS negotiation now`);
    } catch {
      s.state = 'logout';
    }
    return null;
  },
};
