/**
 * SORT / UID SORT (criteria) charset keys (RFC 5256 3): ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT,
 * TO, each optionally REVERSE; ties broken by sequence order. Subjects are compared base-subject
 * style (Re:/Fwd: prefixes and [tags] stripped), addresses by the first mailbox.
 */
import { ImapError } from '../../common/errors.js';
import type { MessageMeta, MessageSummary } from '../../common/mail.js';
import { Args } from '../parser.js';
import type { Session } from '../connection.js';
import { parseSearchProgram } from '../parse-search.js';
import { runSearch } from '../search.js';
import { SELECTED, type CommandSpec } from './types.js';

const CRITERIA = new Set(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO']);

const BLOB = String.raw`\[[^[\]]*\]\s*`;
/** subj-refwd: "re" / "fw" / "fwd", blanks, an optional blob, ":" (RFC 5256 5). */
const LEADER = new RegExp(String.raw`^(?:(?:${BLOB})*(?:re|fwd?)\s*(?:${BLOB})?:|\s)`, 'i');
const LEAD_BLOB = new RegExp(`^${BLOB}`);

/**
 * RFC 5256 2.1 base subject, and whether extracting it removed a reply/forward marker (`Re:`,
 * `Fwd:`, a `(fwd)` trailer or a `[fwd: ...]` wrapper; a `[list]` blob alone does not count).
 * Case-folded for comparison.
 */
export function subjectInfo(s: string | null): { base: string; reply: boolean } {
  let t = (s ?? '').replace(/\s+/g, ' ');
  let reply = false;
  for (;;) {
    for (let m; (m = /(?:\s|\(fwd\))$/i.exec(t)); t = t.slice(0, m.index)) if (m[0].length > 1) reply = true; // (2)
    for (let changed = true; changed; ) { // (3) leaders, (4) a leading blob that leaves something
      changed = false;
      for (let m; (m = LEADER.exec(t)) && m[0].length > 0; t = t.slice(m[0].length)) {
        changed = true;
        if (m[0].trim() !== '') reply = true;
      }
      const b = LEAD_BLOB.exec(t);
      if (b && t.length > b[0].length) {
        t = t.slice(b[0].length);
        changed = true;
      }
    }
    const w = /^\[fwd:(.*)\]$/i.exec(t); // (5)
    if (!w) break;
    t = w[1]!;
    reply = true;
  }
  return { base: t.toLowerCase(), reply };
}

/** RFC 5256 base subject, case-folded (the SORT SUBJECT key). */
export function baseSubject(s: string | null): string {
  return subjectInfo(s).base;
}

async function sort(s: Session, args: Args, uidMode: boolean): Promise<void> {
  const crit = args.list('sort criteria').map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
  const keys: { name: string; reverse: boolean }[] = [];
  for (let i = 0; i < crit.length; i++) {
    const reverse = crit[i] === 'REVERSE';
    const name = reverse ? crit[++i] : crit[i];
    if (!name || !CRITERIA.has(name)) throw new ImapError('BAD', 'Bad sort criterion');
    keys.push({ name, reverse });
  }
  if (keys.length === 0) throw new ImapError('BAD', 'Empty sort criteria');
  const charset = args.astring('charset').toUpperCase();
  if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new ImapError('NO', 'Unsupported charset', 'BADCHARSET (US-ASCII UTF-8)');
  const prog = parseSearchProgram(new Args(args.rest()), false);
  const found = await runSearch(s, prog.key);
  const mail = s.ctx.services.mail;
  const sums = new Map<number, MessageSummary | null>();
  if (keys.some((k) => k.name !== 'ARRIVAL' && k.name !== 'SIZE')) {
    for (const m of found) sums.set(m.uid, await mail.summary(s.userId, s.box.name, m.uid).catch(() => null));
  }
  const value = (m: MessageMeta, name: string): string | number => {
    const e = sums.get(m.uid)?.envelope;
    switch (name) {
      case 'ARRIVAL': return m.internalDate;
      case 'SIZE': return m.size;
      case 'DATE': {
        const d = e?.date ? Date.parse(e.date) : NaN;
        return Number.isNaN(d) ? m.internalDate : d;
      }
      case 'SUBJECT': return baseSubject(e?.subject ?? null);
      case 'FROM': return (e?.from[0]?.mailbox ?? '').toLowerCase();
      case 'TO': return (e?.to[0]?.mailbox ?? '').toLowerCase();
      default: return (e?.cc[0]?.mailbox ?? '').toLowerCase();
    }
  };
  const sorted = [...found].sort((a, b) => {
    for (const k of keys) {
      const x = value(a, k.name);
      const y = value(b, k.name);
      if (x !== y) return (x < y ? -1 : 1) * (k.reverse ? -1 : 1);
    }
    return a.uid - b.uid;
  });
  const ids = sorted.map((m) => (uidMode ? m.uid : s.box.seqOf(m.uid)));
  s.out.line(`* SORT${ids.map((n) => ` ${n}`).join('')}`);
}

/** SORT */
export const sortCommand: CommandSpec = { name: 'SORT', states: SELECTED, noExpunge: true, run: (s, a) => sort(s, a, false) };
/** UID SORT */
export const uidSortCommand: CommandSpec = { name: 'UID SORT', states: SELECTED, noExpunge: true, run: (s, a) => sort(s, a, true) };
