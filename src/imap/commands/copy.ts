/**
 * COPY / UID COPY and MOVE / UID MOVE set mailbox (RFC 3501 6.4.7, RFC 4315 COPYUID, RFC 6851).
 * COPY hard-links; MOVE links then expunges the sources, answering `* OK [COPYUID ...]` before the
 * source EXPUNGEs. A missing destination is NO [TRYCREATE]. MOVE into the selected folder itself
 * is a COPY, then an expunge of the originals (new uids, as Dovecot does).
 */
import { ImapError, NotFoundError } from '../../common/errors.js';
import { canonicalFolderName } from '../../common/folder-name.js';
import type { Args } from '../parser.js';
import type { Session } from '../connection.js';
import { decodeMailbox } from '../mailbox-name.js';
import { resolveUids } from '../sequence.js';
import { orderedSetText } from '../uidset.js';
import { SELECTED, type CommandSpec } from './types.js';

async function copyOrMove(s: Session, args: Args, uidMode: boolean, move: boolean): Promise<string | void> {
  const setText = args.atom('sequence set');
  const dest = decodeMailbox(args.astring('mailbox'));
  args.end();
  const box = s.box;
  if (move && box.readOnly) throw new ImapError('NO', 'Mailbox is read-only', 'READ-ONLY');
  const uids = resolveUids(box, setText, uidMode).filter((u) => box.view.byUid(u));
  if (uids.length === 0) return move ? 'No messages moved' : 'No messages copied';
  const mail = s.ctx.services.mail;
  // MOVE into the selected folder itself: new copies, then the originals go (RFC 6851 3.3 allows
  // it; the store's move treats it as nothing to do, which left this session announcing
  // expunges of messages that were still there)
  const sameFolder = move && canonicalFolderName(dest) === canonicalFolderName(box.name);
  let res;
  try {
    res = move && !sameFolder ? await mail.move(s.userId, box.name, uids, dest) : await mail.copy(s.userId, box.name, uids, dest);
  } catch (err) {
    if (err instanceof NotFoundError) throw new ImapError('NO', 'Destination mailbox does not exist', 'TRYCREATE');
    throw err;
  }
  const code = res.pairs.length
    ? `COPYUID ${res.uidValidity} ${orderedSetText(res.pairs.map((p) => p[0]))} ${orderedSetText(res.pairs.map((p) => p[1]))}`
    : '';
  if (!move) return `${code ? `[${code}] ` : ''}COPY completed`;
  if (code) s.out.line(`* OK [${code}] Moved`);
  if (sameFolder) await mail.expunge(s.userId, box.name, res.pairs.map((p) => p[0]));
  for (const [src] of res.pairs) box.pendingExpunged.add(src);
  return 'MOVE completed';
}

/** COPY */
export const copyCommand: CommandSpec = { name: 'COPY', states: SELECTED, run: (s, a) => copyOrMove(s, a, false, false) };
/** UID COPY */
export const uidCopyCommand: CommandSpec = { name: 'UID COPY', states: SELECTED, run: (s, a) => copyOrMove(s, a, true, false) };
/** MOVE */
export const moveCommand: CommandSpec = { name: 'MOVE', states: SELECTED, run: (s, a) => copyOrMove(s, a, false, true) };
/** UID MOVE */
export const uidMoveCommand: CommandSpec = { name: 'UID MOVE', states: SELECTED, run: (s, a) => copyOrMove(s, a, true, true) };
