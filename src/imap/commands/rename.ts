/** RENAME from to (RFC 3501 6.3.5): children move along; renaming INBOX is refused (no message moves). */
import { ImapError } from '../../common/errors.js';
import { decodeMailbox } from '../mailbox-name.js';
import { AUTHED, type CommandSpec } from './types.js';

/** RENAME */
export const rename: CommandSpec = {
  name: 'RENAME',
  states: AUTHED,
  async run(s, args) {
    const from = decodeMailbox(args.astring('mailbox'));
    const to = decodeMailbox(args.astring('new name'));
    args.end();
    if (from === 'INBOX') throw new ImapError('NO', 'Renaming INBOX is not supported', 'CANNOT');
    if (to === 'INBOX') throw new ImapError('NO', 'INBOX exists', 'ALREADYEXISTS');
    await s.ctx.services.mail.renameFolder(s.userId, from, to);
  },
};
