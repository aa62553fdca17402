/**
 * APPEND mailbox [(flags)] [date-time] literal (RFC 3501 6.3.11, RFC 4315 APPENDUID).
 * Literals over 64 KiB were already streamed to a temp file by the connection; the store takes
 * that file over (no second copy in memory). A missing mailbox is NO [TRYCREATE]. Bare LF line
 * ends are stored as CRLF (src/imap/crlf.ts). A message with NUL is not stored: BODY[] serves
 * the stored bytes in a literal, which may not hold NUL (RFC 3501 9 CHAR8), so a literal8 with
 * NUL is NO [UNKNOWN-CTE] (RFC 3516 4.3: the mailbox cannot store binary content) and a plain
 * literal with NUL, against its syntax, BAD.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ImapError, NotFoundError } from '../../common/errors.js';
import { parseDateTime, parseFlags } from '../parser.js';
import { decodeMailbox } from '../mailbox-name.js';
import { crlfBytes, crlfFile } from '../crlf.js';
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
    if (msg.t === 'file' ? fileHasNul(msg.path) : msg.v.includes(0)) {
      if (!msg.bin) throw new ImapError('BAD', 'NUL in a literal (RFC 3501 CHAR8); binary content needs literal8');
      throw new ImapError('NO', 'Binary content with NUL cannot be stored', 'UNKNOWN-CTE');
    }
    const mail = s.ctx.services.mail;
    // bare LF line ends become CRLF (an RFC 5322 message)
    const copy = msg.t === 'file' ? await crlfFile(msg.path) : null;
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

/**
 * Whether the streamed literal holds a NUL byte. Read synchronously, like crlf.ts: the file was
 * just written and is in the page cache (a thread-pool hop per read costs more than the scan).
 */
function fileHasNul(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(256 * 1024);
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return false;
      if (buf.subarray(0, n).includes(0)) return true;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}
