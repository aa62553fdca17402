/**
 * APPEND mailbox [(flags)] [date-time] literal (RFC 3501 6.3.11, RFC 4315 APPENDUID).
 * Literals over 64 KiB were already streamed to a temp file by the connection; the store takes
 * that file over (no second copy in memory). A missing mailbox is NO [TRYCREATE]. Bare LF line
 * ends are stored as CRLF (src/imap/crlf.ts). A message with NUL is not stored: BODY[] serves
 * the stored bytes in a literal, which may not hold NUL (RFC 3501 9 CHAR8), so a literal8 with
 * NUL is NO [UNKNOWN-CTE] (RFC 3516 4.3: the mailbox cannot store binary content) and a plain
 * literal with NUL, against its syntax, BAD.
 */
import { rm } from 'node:fs/promises';
import { ImapError, NotFoundError } from '../../common/errors.js';
import { parseDateTime, parseFlags } from '../parser.js';
import { decodeMailbox } from '../mailbox-name.js';
import { crlfBytes, crlfFile, scanFile } from '../crlf.js';
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
    // one pass over a streamed literal (an in-memory one is converted by crlfBytes below)
    const scan = msg.t === 'file' ? scanFile(msg.path) : { nul: msg.v.includes(0), bareLf: false };
    if (scan.nul) {
      if (!msg.bin) throw new ImapError('BAD', 'NUL in a literal (RFC 3501 CHAR8); binary content needs literal8');
      throw new ImapError('NO', 'Binary content with NUL cannot be stored', 'UNKNOWN-CTE');
    }
    const mail = s.ctx.services.mail;
    // bare LF line ends become CRLF (an RFC 5322 message)
    const copy = msg.t === 'file' ? await crlfFile(msg.path, scan.bareLf) : null;
    const source = msg.t === 'file' ? { file: copy ?? msg.path } : { data: crlfBytes(msg.v) ?? msg.v };
    try {
      const r = await mail.append(s.userId, name, source, {
        flags: flags.filter((f) => f !== '\\Recent'),
        ...(internalDate !== undefined ? { internalDate } : {}),
      });
      return `[APPENDUID ${r.uidValidity} ${r.uid}] APPEND completed`;
    } catch (err) {
      if (err instanceof NotFoundError) throw new ImapError('NO', 'Mailbox does not exist', 'TRYCREATE');
      throw err;
    } finally {
      // the store renamed the copy away, or failed before taking it (the connection removes its own file)
      if (copy) await rm(copy, { force: true });
    }
  },
};

