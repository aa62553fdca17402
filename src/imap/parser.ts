/**
 * The IMAP command parser (RFC 3501 section 9, RFC 7888 LITERAL+): pure and strict.
 * Input is one assembled command: its line pieces and the literals between them (the connection
 * frames them; a big APPEND literal arrives as a temp file). Output is a tag, a command name and
 * a token tree; `Args` reads typed arguments from it. Anything malformed throws ImapError BAD.
 *
 * Atoms may carry a bracketed section with spaces and parens inside (`BODY[HEADER.FIELDS (A B)]<0.5>`)
 * as one token, the way fetch attributes need it; `%` and `*` are allowed for LIST patterns and
 * sequence sets; a leading `\` for flags.
 */
import { ImapError } from '../common/errors.js';

/** One piece of a framed command: a line (without CRLF) or a literal's bytes. */
export type CommandPart =
  | { kind: 'line'; data: Buffer }
  | { kind: 'literal'; data: Buffer }
  | { kind: 'file'; path: string; size: number };

/**
 * A token: atom, string (quoted or literal), file-backed literal, or parenthesised list. `bin`
 * marks a literal8 `~{n}` (RFC 3516), the only literal that may hold NUL.
 */
export type Tok =
  | { t: 'atom'; v: string }
  | { t: 'str'; v: Buffer; bin?: true }
  | { t: 'file'; path: string; size: number; bin?: true }
  | { t: 'list'; v: Tok[] };

/** A parsed command. `name` is upper-case; `UID FETCH` etc. are joined with a space. */
export interface Command {
  tag: string;
  name: string;
  args: Tok[];
}

const bad = (msg: string): ImapError => new ImapError('BAD', msg);

/** True for bytes that may not appear in an atom (atom-specials minus those we allow). */
function isSpecial(c: number): boolean {
  // ( ) { SP CTL " and DEL; `%`, `*`, `]` and `\` are handled by the caller.
  return c === 0x28 || c === 0x29 || c === 0x7b || c <= 0x20 || c === 0x22 || c === 0x7f;
}

/** A trailing `{n}` or `{n+}` on a line: the literal's size and whether it is non-synchronising. */
export function literalAtEnd(line: Buffer): { size: number; plus: boolean; at: number } | null {
  if (line.length < 3 || line[line.length - 1] !== 0x7d) return null;
  let i = line.length - 2;
  let plus = false;
  if (line[i] === 0x2b) {
    plus = true;
    i--;
  }
  const endDigits = i + 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) i--;
  if (i < 0 || line[i] !== 0x7b || i + 1 === endDigits) return null;
  const digits = line.subarray(i + 1, endDigits).toString('latin1');
  if (digits.length > 15) return { size: Number.MAX_SAFE_INTEGER, plus, at: i };
  // A literal8 `~{n}` is framed the same way.
  return { size: Number(digits), plus, at: i > 0 && line[i - 1] === 0x7e ? i - 1 : i };
}

class Lexer {
  private part = 0;
  private pos = 0;

  constructor(private readonly parts: CommandPart[]) {}

  private get line(): Buffer | null {
    const p = this.parts[this.part];
    return p && p.kind === 'line' ? p.data : null;
  }

  peek(): number {
    const l = this.line;
    if (!l) return -1;
    return this.pos < l.length ? l[this.pos]! : -2;
  }

  atEnd(): boolean {
    return this.part >= this.parts.length - 1 && this.peek() === -2;
  }

  /** Read tokens until `)` (when nested) or the end of the command. */
  tokens(nested: boolean): Tok[] {
    const out: Tok[] = [];
    for (;;) {
      const c = this.peek();
      if (c === -2) {
        if (nested) throw bad('Unterminated list');
        if (this.part < this.parts.length - 1) throw bad('Unexpected literal');
        return out;
      }
      if (c === 0x29) {
        if (!nested) throw bad('Unexpected )');
        this.pos++;
        return out;
      }
      if (out.length > 0) {
        if (c !== 0x20) throw bad('Expected a space between arguments');
        this.pos++;
        if (this.peek() === 0x20) throw bad('Double space');
        if (this.peek() === -2 && !nested) throw bad('Trailing space');
      }
      out.push(this.token());
    }
  }

  token(): Tok {
    const line = this.line!;
    const c = this.peek();
    if (c === 0x28) {
      this.pos++;
      return { t: 'list', v: this.tokens(true) };
    }
    if (c === 0x22) return this.quoted(line);
    if (c === 0x7b || (c === 0x7e && line[this.pos + 1] === 0x7b)) return this.literal(line);
    return this.atom(line);
  }

  private quoted(line: Buffer): Tok {
    const bytes: number[] = [];
    let i = this.pos + 1;
    for (;;) {
      if (i >= line.length) throw bad('Unterminated quoted string');
      const b = line[i]!;
      if (b === 0x22) break;
      if (b === 0x5c) {
        const n = line[i + 1];
        if (n !== 0x22 && n !== 0x5c) throw bad('Bad escape in quoted string');
        bytes.push(n);
        i += 2;
        continue;
      }
      if (b === 0x0d || b === 0x0a || b === 0) throw bad('Bad character in quoted string');
      bytes.push(b);
      i++;
    }
    this.pos = i + 1;
    return { t: 'str', v: Buffer.from(bytes) };
  }

  private literal(line: Buffer): Tok {
    const lit = literalAtEnd(line);
    if (!lit || lit.at !== this.pos) throw bad('Bad literal');
    const next = this.parts[this.part + 1];
    if (!next || next.kind === 'line') throw bad('Missing literal data');
    const size = next.kind === 'file' ? next.size : next.data.length;
    if (size !== lit.size) throw bad('Literal size mismatch');
    this.part += 2;
    this.pos = 0;
    if (!this.parts[this.part]) throw bad('Missing line after literal');
    const tok: Tok = next.kind === 'file' ? { t: 'file', path: next.path, size: next.size } : { t: 'str', v: next.data };
    if (line[lit.at] === 0x7e) tok.bin = true;
    return tok;
  }

  private atom(line: Buffer): Tok {
    const start = this.pos;
    let i = this.pos;
    let depth = 0;
    for (; i < line.length; i++) {
      const b = line[i]!;
      if (depth > 0) {
        if (b === 0x5b) depth++;
        else if (b === 0x5d) depth--;
        else if (b < 0x20 || b === 0x7f) throw bad('Control character in section');
        continue;
      }
      if (b === 0x5b) {
        depth = 1;
        continue;
      }
      if (b === 0x5c && i !== start) throw bad('Backslash inside an atom');
      if (isSpecial(b)) break;
    }
    if (depth > 0) throw bad('Unterminated [');
    if (i === start) throw bad(`Unexpected character ${JSON.stringify(String.fromCharCode(line[i] ?? 32))}`);
    this.pos = i;
    return { t: 'atom', v: line.subarray(start, i).toString('utf8') };
  }

  /** Read `tag SP` and `command`: plain atoms without brackets. */
  word(what: string): string {
    const line = this.line;
    if (!line) throw bad(`Missing ${what}`);
    let i = this.pos;
    while (i < line.length && !isSpecial(line[i]!) && line[i] !== 0x5b && line[i] !== 0x5d) i++;
    if (i === this.pos) throw bad(`Missing ${what}`);
    const w = line.subarray(this.pos, i).toString('latin1');
    this.pos = i;
    return w;
  }

  space(): boolean {
    if (this.peek() !== 0x20) return false;
    this.pos++;
    return true;
  }
}

/** Read the tag of a command line without parsing the rest ('*' when there is none). */
export function peekTag(line: Buffer): string {
  const m = /^([^\s(){%*"\\\]+]+) /.exec(line.subarray(0, 200).toString('latin1'));
  return m ? m[1]! : '*';
}

/** Parse a framed command into tag, name and argument tokens. */
export function parseCommand(parts: CommandPart[]): Command {
  if (parts.length === 0 || parts[0]!.kind !== 'line') throw bad('Empty command');
  const lex = new Lexer(parts);
  const tag = lex.word('tag');
  if (tag.includes('+') || tag.includes('*') || tag.includes('%')) throw bad('Bad tag');
  if (!lex.space()) throw bad('Missing command');
  let name = lex.word('command').toUpperCase();
  if (name === 'UID') {
    if (!lex.space()) throw bad('UID needs a command');
    name = `UID ${lex.word('command').toUpperCase()}`;
  }
  if (lex.atEnd()) return { tag, name, args: [] };
  if (!lex.space()) throw bad('Expected a space after the command');
  if (lex.atEnd()) throw bad('Trailing space');
  return { tag, name, args: lex.tokens(false) };
}

/** Reads typed arguments from a token list; every mismatch throws BAD. */
export class Args {
  private i = 0;

  constructor(readonly toks: Tok[]) {}

  /** True when every token was read. */
  done(): boolean {
    return this.i >= this.toks.length;
  }

  /** Fail unless every argument was read. */
  end(): void {
    if (!this.done()) throw bad('Too many arguments');
  }

  /** The next token without consuming it. */
  peek(): Tok | undefined {
    return this.toks[this.i];
  }

  /** The next token. */
  next(what = 'argument'): Tok {
    const t = this.toks[this.i++];
    if (!t) throw bad(`Missing ${what}`);
    return t;
  }

  /** How many tokens are left. */
  remaining(): number {
    return this.toks.length - this.i;
  }

  /** Every token not read yet (consumed). */
  rest(): Tok[] {
    const out = this.toks.slice(this.i);
    this.i = this.toks.length;
    return out;
  }

  /** An atom (returned as sent). */
  atom(what = 'atom'): string {
    const t = this.next(what);
    if (t.t !== 'atom') throw bad(`Expected ${what}`);
    return t.v;
  }

  /** An astring as UTF-8 text (atom, quoted or literal). */
  astring(what = 'string'): string {
    const t = this.next(what);
    if (t.t === 'atom') {
      if (t.v.includes('[') && t.v.includes(' ')) throw bad(`Bad ${what}`);
      return t.v;
    }
    if (t.t === 'str') return t.v.toString('utf8');
    throw bad(`Expected ${what}`);
  }

  /** A string (quoted or literal, not an atom) or an astring when `loose`. */
  string(what = 'string'): Buffer {
    const t = this.next(what);
    if (t.t === 'str') return t.v;
    if (t.t === 'atom') return Buffer.from(t.v, 'utf8');
    throw bad(`Expected ${what}`);
  }

  /** A number (up to 2^63 in practice limited to safe integers). */
  number(what = 'number'): number {
    return parseNumber(this.atom(what), what);
  }

  /** A parenthesised list. */
  list(what = 'list'): Tok[] {
    const t = this.next(what);
    if (t.t !== 'list') throw bad(`Expected ${what}`);
    return t.v;
  }

  /** Consume the next token when it is a list. */
  optionalList(): Tok[] | null {
    const t = this.peek();
    if (t?.t !== 'list') return null;
    this.i++;
    return t.v;
  }

  /** Consume the next token when it is the atom `word` (case-insensitive). */
  optionalWord(word: string): boolean {
    const t = this.peek();
    if (t?.t === 'atom' && t.v.toUpperCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }
}

/** Parse a decimal number (no sign, no leading junk). */
export function parseNumber(s: string, what = 'number'): number {
  if (!/^\d{1,19}$/.test(s)) throw bad(`Bad ${what}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw bad(`${what} out of range`);
  return n;
}

/** A range of a sequence set; `*` is 0 in `from`/`to` (resolved by the caller). */
export interface SeqRange {
  from: number;
  to: number;
}

/** Parse a sequence set (`1,3:5,7:*`, or `$` for the saved search result). */
export function parseSequenceSet(s: string): SeqRange[] | '$' {
  if (s === '$') return '$';
  const out: SeqRange[] = [];
  for (const item of s.split(',')) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(item);
    if (!m) throw bad('Bad sequence set');
    const a = m[1] === '*' ? 0 : parseNumber(m[1]!, 'sequence number');
    const b = m[2] === undefined ? a : m[2] === '*' ? 0 : parseNumber(m[2], 'sequence number');
    if ((m[1] !== '*' && a === 0) || (m[2] !== undefined && m[2] !== '*' && b === 0)) throw bad('Sequence number 0');
    out.push({ from: a, to: b });
  }
  return out;
}

/** Resolve `*` to `max` and return sorted, de-duplicated members of `values` that the set covers. */
export function selectFromSet(set: SeqRange[], values: readonly number[], max: number): number[] {
  const ranges = set.map(({ from, to }) => {
    const a = from === 0 ? max : from;
    const b = to === 0 ? max : to;
    return a <= b ? [a, b] as const : [b, a] as const;
  });
  if (ranges.length === 1) {
    const [a, b] = ranges[0]!;
    return values.slice(lowerBound(values, a), lowerBound(values, b + 1));
  }
  const out: number[] = [];
  for (const v of values) if (ranges.some(([a, b]) => v >= a && v <= b)) out.push(v);
  return out;
}

/** First index in ascending `values` whose value is >= `x`. */
export function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Parse an IMAP date (`1-Feb-2024`) to midnight UTC in ms. */
export function parseDate(s: string): number {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(s);
  const mon = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
  if (!m || mon < 0 || Number(m[1]) < 1 || Number(m[1]) > 31) throw bad('Bad date');
  return Date.UTC(Number(m[3]), mon, Number(m[1]));
}

/** Parse an IMAP date-time (` 1-Feb-2024 10:00:00 +0100`) to ms since epoch. */
export function parseDateTime(s: string): number {
  const m = /^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(s);
  const mon = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
  if (!m || mon < 0) throw bad('Bad date-time');
  const [day, h, mi, sec, zh, zm] = [m[1], m[4], m[5], m[6], m[8], m[9]].map((x) => Number(x!.trim()));
  if (day! < 1 || day! > 31 || h! > 23 || mi! > 59 || sec! > 60 || zm! > 59) throw bad('Bad date-time');
  const offset = (m[7] === '-' ? -1 : 1) * (zh! * 60 + zm!) * 60_000;
  return Date.UTC(Number(m[3]), mon, day, h, mi, sec) - offset;
}

/** Parse a parenthesised flag list (or a single flag), validating each flag. */
export function parseFlags(toks: Tok[]): string[] {
  const out: string[] = [];
  for (const t of toks) {
    if (t.t !== 'atom') throw bad('Bad flag');
    out.push(checkFlag(t.v));
  }
  return out;
}

const SYSTEM_FLAGS = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((f) => [f.toLowerCase(), f]));

/** Validate one flag; system flags are returned in canonical case. */
export function checkFlag(f: string): string {
  if (f.startsWith('\\')) {
    const sys = SYSTEM_FLAGS.get(f.toLowerCase());
    if (!sys) {
      if (f.toLowerCase() === '\\recent') throw bad('\\Recent cannot be stored');
      throw bad(`Unknown system flag ${f}`);
    }
    return sys;
  }
  if (!/^[\x21-\x7e]+$/.test(f) || /[(){%*"\\\]]/.test(f)) throw bad('Bad keyword');
  return f;
}
