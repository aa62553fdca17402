/**
 * DELETE mailbox (RFC 3501 6.3.4): INBOX and special-use folders cannot be deleted; children stay
 * (LIST then shows the name \Noselect). Deleting this session's selected folder deselects it,
 * announced with `* OK [CLOSED]`; other sessions that have it selected get BYE (connection.ts).
 */
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
    const mine = s.selected?.name === name ? s.selected : null;
    await s.ctx.services.mail.deleteFolder(s.userId, name);
    if (mine && s.selected === mine) {
      s.selected = null;
      s.state = 'auth';
      s.out.line('* OK [CLOSED] Selected mailbox deleted');
    }
  },
};
