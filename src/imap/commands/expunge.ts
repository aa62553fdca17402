/**
 * EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE set (RFC 4315 2.1): remove the \Deleted messages (of
 * the set). The untagged EXPUNGE / VANISHED responses go out at the end of the command, through
 * the same pending-update path as other sessions' changes.
 */
import { ImapError } from '../../common/errors.js';
import type { Args } from '../parser.js';
import type { Session } from '../connection.js';
import { resolveUids } from '../sequence.js';
import { SELECTED, type CommandSpec } from './types.js';

/** Expunge the \Deleted messages among `uids` (all known ones when null); returns the removed uids. */
export async function expungeDeleted(s: Session, uids: number[] | null): Promise<number[]> {
  const box = s.box;
  const candidates = (uids ?? box.allUids()).filter((u) => box.view.byUid(u)?.flags.includes('\\Deleted'));
  if (candidates.length === 0) return [];
  const removed = await s.ctx.services.mail.expunge(s.userId, box.name, candidates);
  for (const u of removed) box.pendingExpunged.add(u);
  return removed;
}

/**
 * With QRESYNC on, an EXPUNGE / UID EXPUNGE that removed something answers the folder's new
 * HIGHESTMODSEQ in its tagged OK (RFC 7162 3.2.7, 3.2.9: MUST). CLOSE never does (3.2.8: MUST NOT).
 */
async function expunge(s: Session, args: Args, uidMode: boolean): Promise<string | void> {
  const set = uidMode ? args.atom('UID set') : null;
  args.end();
  if (s.box.readOnly) throw new ImapError('NO', 'Mailbox is read-only', 'READ-ONLY');
  const removed = await expungeDeleted(s, set === null ? null : resolveUids(s.box, set, true));
  if (removed.length && s.enabled.has('QRESYNC')) return `[HIGHESTMODSEQ ${s.box.view.info.highestModseq}] ${uidMode ? 'UID EXPUNGE' : 'EXPUNGE'} completed`;
}

/** EXPUNGE */
export const expungeCommand: CommandSpec = { name: 'EXPUNGE', states: SELECTED, run: (s, a) => expunge(s, a, false) };

/** UID EXPUNGE */
export const uidExpungeCommand: CommandSpec = { name: 'UID EXPUNGE', states: SELECTED, run: (s, a) => expunge(s, a, true) };
