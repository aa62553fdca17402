/**
 * SELECT / EXAMINE mailbox [(CONDSTORE | QRESYNC (uidvalidity modseq [known-uids]))]
 * (RFC 3501 6.3.1-2, RFC 7162 3.1.8 and 3.2.5). Selecting again first reports `[CLOSED]`.
 * With QRESYNC and a matching UIDVALIDITY the client gets VANISHED (EARLIER) and the FETCH of
 * every message changed since its modseq.
 */
import { ImapError } from '../../common/errors.js';
import type { Args } from '../parser.js';
import { parseNumber, parseSequenceSet, selectFromSet } from '../parser.js';
import type { Session } from '../connection.js';
import { decodeMailbox } from '../mailbox-name.js';
import { Selected } from '../selected.js';
import { uidSetText } from '../uidset.js';
import { AUTHED, type CommandSpec } from './types.js';

interface Qresync {
  uidValidity: number;
  modseq: number;
  known: ReturnType<typeof parseSequenceSet> | null;
}

function parseParams(s: Session, args: Args): Qresync | null {
  const params = args.optionalList();
  args.end();
  if (!params) return null;
  let q: Qresync | null = null;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const w = p.t === 'atom' ? p.v.toUpperCase() : '';
    if (w === 'CONDSTORE') s.enabled.add('CONDSTORE');
    else if (w === 'QRESYNC') {
      if (!s.enabled.has('QRESYNC')) throw new ImapError('BAD', 'QRESYNC is not enabled');
      const list = params[++i];
      if (!list || list.t !== 'list' || list.v.length < 2) throw new ImapError('BAD', 'Bad QRESYNC parameters');
      const [v, m, known] = list.v.map((t) => (t.t === 'atom' ? t.v : ''));
      q = {
        uidValidity: parseNumber(v!, 'uidvalidity'),
        modseq: parseNumber(m!, 'modseq'),
        known: known ? parseSequenceSet(known) : null,
      };
    } else throw new ImapError('BAD', 'Unknown SELECT parameter');
  }
  return q;
}

async function select(s: Session, args: Args, readOnly: boolean): Promise<string> {
  const name = decodeMailbox(args.astring('mailbox'));
  const q = parseParams(s, args);
  if (s.selected) {
    s.selected = null;
    s.state = 'auth';
    s.out.line('* OK [CLOSED] Previous mailbox closed');
  }
  const view = await s.ctx.services.mail.folder(s.userId, name);
  const box = new Selected(view.info.name, view, readOnly, s.recentFloors);
  const info = view.info;
  const out = s.out;
  box.writeFlags(out); // with the folder's keywords (selected.ts)
  out.line(`* ${box.count} EXISTS`);
  out.line(`* ${box.recentCount} RECENT`);
  const unseenUid = info.unread > 0 ? view.firstUnseenUid() : undefined;
  const firstUnseen = unseenUid === undefined ? 0 : box.seqOf(unseenUid);
  if (firstUnseen > 0) out.line(`* OK [UNSEEN ${firstUnseen}] First unseen`);
  out.line(`* OK [UIDVALIDITY ${info.uidValidity}] UIDs valid`);
  out.line(`* OK [UIDNEXT ${info.uidNext}] Predicted next UID`);
  out.line(`* OK [HIGHESTMODSEQ ${info.highestModseq}] Highest`);
  if (q && q.uidValidity === info.uidValidity) resync(s, box, q);
  s.selected = box;
  s.state = 'selected';
  return `[${readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${readOnly ? 'EXAMINE' : 'SELECT'} completed`;
}

/**
 * RFC 7162 3.2.5: VANISHED (EARLIER) for what was expunged since the client's modseq, then the
 * FETCH of every message changed since; known UIDs, when given, limit both to those messages.
 */
function resync(s: Session, box: Selected, q: Qresync): void {
  const known = q.known && q.known !== '$' ? q.known : null;
  const max = box.view.info.uidNext;
  let gone = box.view.expungedSince(q.modseq);
  if (known) gone = selectFromSet(known, [...gone].sort((a, b) => a - b), max);
  if (gone.length) s.out.line(`* VANISHED (EARLIER) ${uidSetText(gone)}`);
  const msgs = box.view.messages;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (m.modseq <= q.modseq || (known && selectFromSet(known, [m.uid], max).length === 0)) continue;
    s.out.line(`* ${i + 1} FETCH (UID ${m.uid} FLAGS ${box.flagsText(m)} MODSEQ (${m.modseq}))`);
  }
}

/** SELECT */
export const selectCommand: CommandSpec = {
  name: 'SELECT',
  states: AUTHED,
  run: (s, args) => select(s, args, false),
};

/** EXAMINE */
export const examineCommand: CommandSpec = {
  name: 'EXAMINE',
  states: AUTHED,
  run: (s, args) => select(s, args, true),
};
