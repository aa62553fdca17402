/** Resolve a sequence set or UID set against the session's view of the selected folder. */
import { ImapError } from '../common/errors.js';
import type { MessageMeta } from '../common/mail.js';
import { parseSequenceSet, type SeqRange } from './parser.js';
import type { Selected } from './selected.js';

/** Saved search results (`$`, RFC 5182) are not supported: SEARCHRES is not announced. */
function ranges(text: string) {
  const set = parseSequenceSet(text);
  if (set === '$') throw new ImapError('BAD', 'No saved search result');
  return set;
}

/** Ranges with `*` resolved to `max`, each low..high, sorted and merged. */
function normalized(set: SeqRange[], max: number): [number, number][] {
  const rs = set.map(({ from, to }): [number, number] => {
    const a = from === 0 ? max : from;
    const b = to === 0 ? max : to;
    return a <= b ? [a, b] : [b, a];
  }).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

/**
 * The uids (ascending) a sequence set (`uid` false) or UID set (`uid` true) names. Costs
 * O(ranges x log n + answer): binary searches in the session's map, never a pass over the folder.
 */
export function resolveUids(box: Selected, text: string, uid: boolean): number[] {
  return resolveSet(box, ranges(text), uid);
}

/** resolveUids for a parsed set; sequence numbers beyond the last are a BAD unless `lenient`. */
export function resolveSet(box: Selected, set: SeqRange[], uid: boolean, lenient = false): number[] {
  const n = box.count;
  if (uid) {
    const rs = normalized(set, box.lastUid);
    if (rs.length === 1) return box.uidsBetween(rs[0]![0], rs[0]![1]);
    return rs.flatMap(([a, b]) => box.uidsBetween(a, b));
  }
  if (n === 0) return [];
  if (!lenient) {
    for (const r of set) {
      if (r.from > n || r.to > n) throw new ImapError('BAD', 'Invalid message sequence number');
    }
  }
  const rs = normalized(set, n);
  const out: number[] = [];
  for (const [a, b] of rs) {
    const from = Math.max(1, a);
    const to = Math.min(n, b);
    for (let q = from; q <= to; q++) out.push(box.uidAt(q));
  }
  return out;
}

/** First index in `a[0..n)` (ascending by uid) whose uid is >= `uid`. */
export function lowerBoundMeta(a: readonly MessageMeta[], n: number, uid: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]!.uid < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
