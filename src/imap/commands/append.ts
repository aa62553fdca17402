/**
 * APPEND mailbox [(flags)] [date-time] literal (RFC 3501 6.3.11, RFC 4315 APPENDUID).
 * Literals over 64 KiB were already streamed to a temp file by the connection; the store takes
 * that file over (no second copy in memory). A missing mailbox is NO [TRYCREATE].
 */
import { ImapError, NotFoundError } from '../../common/errors.js';
import { parseDateTime, parseFlags } from '../parser.js';
import { decodeMailbox } from '../mailbox-name.js';
import { AUTHED, type CommandSpec } from './types.js';

/** APPEND */
export const append: CommandSpec = {
  name: 'APPEND',
  states: AUTHED,
  async run(s, args) {
    const name = decodeMailbox(args.astring('mailbox'));
    const flagToks = args.optionalList();
    const flags = flagToks ? parseFlags(flagToks) : [];
    let internalDate: number | undefined;
    if (args.remaining() === 2) internalDate = parseDateTime(args.astring('date-time'));
    const msg = args.next('message literal');
    args.end();
    if (msg.t !== 'file' && msg.t !== 'str') throw new ImapError('BAD', 'APPEND needs a message literal');
    const size = msg.t === 'file' ? msg.size : msg.v.length;
    if (size === 0) throw new ImapError('NO', 'Empty message');
    const mail = s.ctx.services.mail;
    try {
      const r = await mail.append(s.userId, name, msg.t === 'file' ? { file: msg.path } : { data: msg.v }, {
        flags: flags.filter((f) => f !== '\\Recent'),
        ...(internalDate !== undefined ? { internalDate } : {}),
      });
      return `[APPENDUID ${r.uidValidity} ${r.uid}] APPEND completed`;
    } catch (err) {
      if (err instanceof NotFoundError) throw new ImapError('NO', 'Mailbox does not exist', 'TRYCREATE');
      throw err;
    }
  },
};
