/**
 * SEARCH programs (RFC 3501 6.4.4, RFC 4731 ESEARCH RETURN options, RFC 7162 MODSEQ): pure.
 * `[RETURN (opts)] [CHARSET name] key...`; every key is validated here, nothing is evaluated.
 */
import { ImapError } from '../common/errors.js';
import { Args, checkFlag, parseDate, parseNumber, parseSequenceSet, type SeqRange, type Tok } from './parser.js';

/** A search key tree. */
export type SearchKey =
  | { k: 'all' }
  | { k: 'flag'; flag: string; set: boolean }
  | { k: 'new' }
  | { k: 'old' }
  | { k: 'recent' }
  | { k: 'header'; field: string; value: string }
  | { k: 'body'; value: string }
  | { k: 'text'; value: string }
  | { k: 'date'; sent: boolean; op: 'before' | 'on' | 'since'; ms: number }
  | { k: 'size'; larger: boolean; n: number }
  | { k: 'uid'; set: SeqRange[] }
  | { k: 'seq'; set: SeqRange[] }
  | { k: 'modseq'; n: number }
  | { k: 'not'; key: SearchKey }
  | { k: 'or'; a: SearchKey; b: SearchKey }
  | { k: 'and'; keys: SearchKey[] };

/** ESEARCH result options. */
export type ReturnOpt = 'MIN' | 'MAX' | 'ALL' | 'COUNT';

/** A parsed search program. */
export interface SearchProgram {
  /** null: classic `* SEARCH`; a list (maybe empty = ALL): ESEARCH. */
  ret: ReturnOpt[] | null;
  key: SearchKey;
}

const bad = (msg: string): ImapError => new ImapError('BAD', msg);

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], UNANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', true], UNDELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', true], UNDRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', true], UNFLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', true], UNSEEN: ['\\Seen', false],
};
const HEADER_KEYS = new Set(['FROM', 'TO', 'CC', 'BCC', 'SUBJECT']);
const DATE_KEYS: Record<string, [boolean, 'before' | 'on' | 'since']> = {
  BEFORE: [false, 'before'], ON: [false, 'on'], SINCE: [false, 'since'],
  SENTBEFORE: [true, 'before'], SENTON: [true, 'on'], SENTSINCE: [true, 'since'],
};
const CHARSETS = new Set(['US-ASCII', 'UTF-8']);

/** Parse `[RETURN (...)] [CHARSET x] keys...` (`esearch` allows RETURN). */
export function parseSearchProgram(args: Args, esearch: boolean): SearchProgram {
  let ret: ReturnOpt[] | null = null;
  if (esearch && args.optionalWord('RETURN')) {
    ret = [];
    for (const t of args.list('RETURN options')) {
      const o = t.t === 'atom' ? t.v.toUpperCase() : '';
      // SAVE needs SEARCHRES (RFC 5182), which is not advertised
      if (!['MIN', 'MAX', 'ALL', 'COUNT'].includes(o)) throw bad('Unknown RETURN option');
      ret.push(o as ReturnOpt);
    }
  }
  if (args.optionalWord('CHARSET')) {
    const cs = args.astring('charset').toUpperCase();
    if (!CHARSETS.has(cs)) throw new ImapError('NO', `Unsupported charset ${cs}`, 'BADCHARSET (US-ASCII UTF-8)');
  }
  const keys: SearchKey[] = [];
  while (!args.done()) keys.push(parseKey(args));
  if (keys.length === 0) throw bad('Missing search key');
  return { ret, key: keys.length === 1 ? keys[0]! : { k: 'and', keys } };
}

/** `$` (the saved result) is syntax only with SEARCHRES (RFC 5182), which is not advertised. */
function savedless(set: SeqRange[] | '$'): SeqRange[] {
  if (set === '$') throw bad('$ needs SEARCHRES, which this server does not offer');
  return set;
}

/** A flag-keyword (RFC 3501 9: an atom, so never a system flag: `KEYWORD \Seen` is BAD). */
function keyword(args: Args): string {
  const flag = checkFlag(args.atom('keyword'));
  if (flag.startsWith('\\')) throw bad('KEYWORD takes a keyword, not a system flag');
  return flag;
}

function parseKey(args: Args): SearchKey {
  const t = args.next('search key');
  if (t.t === 'list') {
    if (t.v.length === 0) throw bad('Empty search list');
    const inner = new Args(t.v);
    const keys: SearchKey[] = [];
    while (!inner.done()) keys.push(parseKey(inner));
    return keys.length === 1 ? keys[0]! : { k: 'and', keys };
  }
  if (t.t !== 'atom') throw bad('Expected a search key');
  const word = t.v.toUpperCase();
  if (/^[\d*$]/.test(word)) return { k: 'seq', set: savedless(parseSequenceSet(t.v)) };
  if (FLAG_KEYS[word]) return { k: 'flag', flag: FLAG_KEYS[word]![0], set: FLAG_KEYS[word]![1] };
  if (HEADER_KEYS.has(word)) return { k: 'header', field: word.toLowerCase(), value: args.astring() };
  if (DATE_KEYS[word]) {
    const [sent, op] = DATE_KEYS[word]!;
    return { k: 'date', sent, op, ms: parseDate(args.astring('date')) };
  }
  switch (word) {
    case 'ALL': return { k: 'all' };
    case 'NEW': return { k: 'new' };
    case 'OLD': return { k: 'old' };
    case 'RECENT': return { k: 'recent' };
    case 'KEYWORD': return { k: 'flag', flag: keyword(args), set: true };
    case 'UNKEYWORD': return { k: 'flag', flag: keyword(args), set: false };
    case 'HEADER': {
      // header-fld-name is any astring (RFC 3501 9); one no header can have ("", "a b") matches nothing
      const field = args.astring('header name');
      const value = args.astring();
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(field)) return { k: 'not', key: { k: 'all' } };
      return { k: 'header', field: field.toLowerCase(), value };
    }
    case 'BODY': return { k: 'body', value: args.astring() };
    case 'TEXT': return { k: 'text', value: args.astring() };
    case 'LARGER': return { k: 'size', larger: true, n: args.number() };
    case 'SMALLER': return { k: 'size', larger: false, n: args.number() };
    case 'UID': return { k: 'uid', set: savedless(parseSequenceSet(args.atom('UID set'))) };
    case 'NOT': return { k: 'not', key: parseKey(args) };
    case 'OR': return { k: 'or', a: parseKey(args), b: parseKey(args) };
    case 'MODSEQ': return parseModseq(args);
    default: throw bad(`Unknown search key ${t.v.slice(0, 30)}`);
  }
}

/** `MODSEQ [entry-name entry-type] n` (RFC 7162 3.1.5). */
function parseModseq(args: Args): SearchKey {
  const first: Tok = args.next('modseq');
  if (first.t === 'str' || (first.t === 'atom' && !/^\d+$/.test(first.v))) {
    const type = args.atom('entry type').toLowerCase();
    if (!['priv', 'shared', 'all'].includes(type)) throw bad('Bad entry type');
    return { k: 'modseq', n: args.number('modseq') };
  }
  if (first.t !== 'atom') throw bad('Bad MODSEQ');
  return { k: 'modseq', n: parseNumber(first.v, 'modseq') };
}
