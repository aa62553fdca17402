/** Resolve a sequence set or UID set against the session's view of the selected folder. */
import { ImapError } from '../common/errors.js';
import { parseSequenceSet, selectFromSet } from './parser.js';
import type { Selected } from './selected.js';

/** Saved search results (`$`, RFC 5182) are not supported: SEARCHRES is not announced. */
function ranges(text: string) {
  const set = parseSequenceSet(text);
  if (set === '$') throw new ImapError('BAD', 'No saved search result');
  return set;
}

/** The uids (ascending) a sequence set (`uid` false) or UID set (`uid` true) names. */
export function resolveUids(box: Selected, text: string, uid: boolean): number[] {
  const set = ranges(text);
  if (uid) return selectFromSet(set, box.uids, box.lastUid);
  const n = box.uids.length;
  if (n === 0) return [];
  for (const r of set) {
    if (r.from > n || r.to > n) throw new ImapError('BAD', 'Invalid message sequence number');
  }
  const picked = new Uint8Array(n + 1);
  for (const r of set) {
    const a = r.from === 0 ? n : r.from;
    const b = r.to === 0 ? n : r.to;
    for (let q = Math.min(a, b); q <= Math.max(a, b); q++) picked[q] = 1;
  }
  const out: number[] = [];
  for (let q = 1; q <= n; q++) if (picked[q]) out.push(box.uids[q - 1]!);
  return out;
}
