/** STATUS mailbox (items) (RFC 3501 6.3.10, RFC 7162 HIGHESTMODSEQ); also used by LIST-STATUS. */
import { ImapError } from '../../common/errors.js';
import type { FolderInfo } from '../../common/mail.js';
import type { Tok } from '../parser.js';
import { astr } from '../encode.js';
import { decodeMailbox, encodeMailbox } from '../mailbox-name.js';
import type { Session } from '../connection.js';
import { countFrom } from '../recent.js';
import { AUTHED, type CommandSpec } from './types.js';

const ITEMS = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ']);

/** Validate a STATUS item list. */
export function parseStatusItems(toks: Tok[]): string[] {
  if (toks.length === 0) throw new ImapError('BAD', 'Empty STATUS item list');
  return toks.map((t) => {
    const v = t.t === 'atom' ? t.v.toUpperCase() : '';
    if (!ITEMS.has(v)) throw new ImapError('BAD', 'Unknown STATUS item');
    return v;
  });
}

/**
 * The `* STATUS` line for a folder (`recent`: its messages no session was told about yet; `asked`:
 * the name as the client spelled it, echoed so that `STATUS inbox` is answered `* STATUS inbox`).
 */
export function statusLine(info: FolderInfo, items: string[], recent = 0, asked?: string): string {
  const vals = items.map((item) => {
    switch (item) {
      case 'MESSAGES': return `MESSAGES ${info.total}`;
      case 'RECENT': return `RECENT ${recent}`;
      case 'UIDNEXT': return `UIDNEXT ${info.uidNext}`;
      case 'UIDVALIDITY': return `UIDVALIDITY ${info.uidValidity}`;
      case 'UNSEEN': return `UNSEEN ${info.unread}`;
      default: return `HIGHESTMODSEQ ${info.highestModseq}`;
    }
  });
  return `* STATUS ${asked === undefined ? encodeMailbox(info.name) : astr(asked)} (${vals.join(' ')})`;
}

/** STATUS RECENT of a folder: its messages at or above the recent floor (0 unless asked). */
export async function recentOf(s: Session, name: string, items: string[]): Promise<number> {
  if (!items.includes('RECENT')) return 0;
  const view = await s.ctx.services.mail.folder(s.userId, name);
  return countFrom(view, s.recentFloors.floor(view));
}

/** STATUS */
export const status: CommandSpec = {
  name: 'STATUS',
  states: AUTHED,
  async run(s, args) {
    const asked = args.astring('mailbox');
    const name = decodeMailbox(asked);
    const items = parseStatusItems(args.list('status items'));
    args.end();
    const view = await s.ctx.services.mail.folder(s.userId, name);
    s.out.line(statusLine(view.info, items, await recentOf(s, name, items), asked));
  },
};
