/**
 * STORE / UID STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags (RFC 3501 6.4.6,
 * RFC 7162 3.1.3). One journal line per changed message (the store's job); the untagged FETCH
 * carries the new flags (UID for UID STORE, MODSEQ under CONDSTORE); UNCHANGEDSINCE failures are
 * answered with `[MODIFIED set]`.
 */
import { ImapError } from '../../common/errors.js';
import type { FlagOp } from '../../common/mail.js';
import type { Args } from '../parser.js';
import { parseFlags, parseNumber } from '../parser.js';
import type { Session } from '../connection.js';
import { resolveUids } from '../sequence.js';
import { uidSetText } from '../uidset.js';
import { SELECTED, type CommandSpec } from './types.js';

async function store(s: Session, args: Args, uidMode: boolean): Promise<string | void> {
  const setText = args.atom('sequence set');
  let unchangedSince: number | undefined;
  const mods = args.optionalList();
  if (mods) {
    const [k, v] = mods;
    if (mods.length !== 2 || k?.t !== 'atom' || k.v.toUpperCase() !== 'UNCHANGEDSINCE' || v?.t !== 'atom') {
      throw new ImapError('BAD', 'Bad STORE modifier');
    }
    unchangedSince = parseNumber(v.v, 'modseq');
    s.enabled.add('CONDSTORE');
  }
  const item = args.atom('STORE item').toUpperCase();
  const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
  if (!m) throw new ImapError('BAD', 'Expected FLAGS, +FLAGS or -FLAGS');
  const op: FlagOp = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'replace';
  const silent = !!m[2];
  const flags = parseFlags(args.peek()?.t === 'list' ? args.list() : args.rest());
  args.end();
  const box = s.box;
  if (box.readOnly) throw new ImapError('NO', 'Mailbox is read-only', 'READ-ONLY');
  const uids = resolveUids(box, setText, uidMode);
  if (uids.length === 0) return;
  const res = await s.ctx.services.mail.setFlags(s.userId, box.name, uids, op, flags, unchangedSince !== undefined ? { unchangedSince } : {});
  const failed = new Set(res.modifiedFailed);
  const changed = new Set(res.changed.map((c) => c.uid));
  if (op !== 'remove' && changed.size) box.announceKeywords(s.out, flags); // a new keyword: FLAGS first (RFC 3501 7.2.6)
  for (const uid of uids) {
    if (failed.has(uid)) continue;
    box.pendingFlags.delete(uid);
    const seq = box.seqOf(uid);
    const meta = box.view.byUid(uid);
    if (!seq || !meta) continue;
    if (silent && !(s.condstore && changed.has(uid))) continue;
    const parts: string[] = [];
    if (uidMode || s.condstore) parts.push(`UID ${uid}`); // RFC 7162 3.1.4: UID and MODSEQ once CONDSTORE is on
    if (!silent) parts.push(`FLAGS ${box.flagsText(meta)}`);
    if (s.condstore) parts.push(`MODSEQ (${meta.modseq})`);
    s.out.line(`* ${seq} FETCH (${parts.join(' ')})`);
  }
  if (failed.size) {
    const list = uidMode ? [...failed] : [...failed].map((u) => box.seqOf(u)).filter(Boolean);
    return `[MODIFIED ${uidSetText(list)}] Conditional STORE failed for some messages`;
  }
}

/** STORE */
export const storeCommand: CommandSpec = { name: 'STORE', states: SELECTED, noExpunge: true, run: (s, a) => store(s, a, false) };

/** UID STORE */
export const uidStoreCommand: CommandSpec = { name: 'UID STORE', states: SELECTED, noExpunge: true, run: (s, a) => store(s, a, true) };
