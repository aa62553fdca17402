/** DELETE mailbox (RFC 3501 6.3.4): INBOX and special-use folders cannot be deleted. */
import { ImapError } from '../../common/errors.js';
import { decodeMailbox } from '../mailbox-name.js';
import { AUTHED, type CommandSpec } from './types.js';

/** DELETE */
export const deleteCommand: CommandSpec = {
  name: 'DELETE',
  states: AUTHED,
  async run(s, args) {
    const name = decodeMailbox(args.astring('mailbox'));
    args.end();
    if (name === 'INBOX') throw new ImapError('NO', 'INBOX cannot be deleted', 'CANNOT');
    if (s.selected?.name === name) {
      s.selected = null;
      s.state = 'auth';
    }
    await s.ctx.services.mail.deleteFolder(s.userId, name);
  },
};
