/**
 * FETCH attribute lists (RFC 3501 6.4.5, RFC 3516 BINARY, RFC 7162 CHANGEDSINCE): pure.
 * `BODY[1.2.HEADER.FIELDS (From To)]<0.100>` arrives as one atom from the lexer and is split here.
 */
import { ImapError } from '../common/errors.js';
import { parseNumber, type Tok } from './parser.js';

/** A fetch attribute without a section. */
export type SimpleAtt =
  | 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY'
  | 'MODSEQ' | 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT';

/** A section fetch: BODY[...], BODY.PEEK[...], BINARY[...], BINARY.PEEK[...], BINARY.SIZE[...]. */
export interface SectionAtt {
  kind: 'section';
  /** How the response names it, e.g. `BODY[1.2]<0>` or `BINARY.SIZE[1]`. */
  label: string;
  peek: boolean;
  binary: boolean;
  sizeOnly: boolean;
  /** Part path, e.g. [1, 2]; empty for the whole message. */
  part: number[];
  spec: '' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  fields: string[];
  partial: { start: number; length: number } | null;
}

/** One fetch attribute. */
export type FetchAtt = { kind: 'simple'; name: SimpleAtt } | SectionAtt;

const bad = (msg: string): ImapError => new ImapError('BAD', msg);

const SIMPLE = new Set<string>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'MODSEQ', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT']);

const MACROS: Record<string, SimpleAtt[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** Parse the fetch argument: a macro, one attribute, or a list of attributes. */
export function parseFetchAtts(tok: Tok): FetchAtt[] {
  if (tok.t === 'atom' && MACROS[tok.v.toUpperCase()]) {
    return MACROS[tok.v.toUpperCase()]!.map((name) => ({ kind: 'simple', name }));
  }
  const toks = tok.t === 'list' ? tok.v : [tok];
  if (toks.length === 0) throw bad('Empty fetch attribute list');
  return toks.map((t) => {
    if (t.t !== 'atom') throw bad('Bad fetch attribute');
    return parseFetchAtt(t.v);
  });
}

/** Parse one fetch attribute atom. */
export function parseFetchAtt(s: string): FetchAtt {
  const upper = s.toUpperCase();
  if (SIMPLE.has(upper)) return { kind: 'simple', name: upper as SimpleAtt };
  const m = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$/i.exec(s);
  if (!m) throw bad(`Unknown fetch attribute ${s.slice(0, 40)}`);
  const kw = m[1]!.toUpperCase();
  const binary = kw.startsWith('BINARY');
  const sizeOnly = kw === 'BINARY.SIZE';
  const sec = parseSection(m[2]!, binary);
  let partial: SectionAtt['partial'] = null;
  if (m[3] !== undefined) {
    if (sizeOnly) throw bad('BINARY.SIZE takes no partial');
    if (m[4] === undefined) throw bad('Partial needs a length');
    partial = { start: parseNumber(m[3], 'partial'), length: parseNumber(m[4], 'partial') };
    if (partial.length === 0) throw bad('Partial length 0');
  }
  const name = sizeOnly ? 'BINARY.SIZE' : binary ? 'BINARY' : 'BODY';
  const label = `${name}[${sec.text}]${partial ? `<${partial.start}>` : ''}`;
  return { kind: 'section', label, peek: kw.endsWith('.PEEK'), binary, sizeOnly, ...sec, partial };
}

/** Parse a section spec: `1.2.MIME`, `HEADER.FIELDS (A B)`, `TEXT`, `` ... */
function parseSection(raw: string, binary: boolean): Pick<SectionAtt, 'part' | 'spec' | 'fields'> & { text: string } {
  if (raw.endsWith('.') || raw.startsWith('.')) throw bad('Bad section');
  const part: number[] = [];
  let rest = raw;
  for (;;) {
    const p = /^([1-9]\d{0,8})(\.|$)/.exec(rest);
    if (!p) break;
    part.push(Number(p[1]));
    rest = rest.slice(p[0].length);
    if (p[2] === '') break;
  }
  const m = /^(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?(?: \(([^()]*)\))?$/i.exec(rest);
  if (!m) throw bad('Bad section');
  const spec = (m[1]?.toUpperCase() ?? '') as SectionAtt['spec'];
  if (binary && spec !== '') throw bad('BINARY takes a part number only');
  if (spec === 'MIME' && part.length === 0) throw bad('MIME needs a part number');
  const needsFields = spec === 'HEADER.FIELDS' || spec === 'HEADER.FIELDS.NOT';
  if (needsFields !== (m[2] !== undefined)) throw bad('Bad header field list');
  const fields = needsFields ? m[2]!.split(' ').filter(Boolean).map(unquote) : [];
  if (needsFields && fields.length === 0) throw bad('Empty header field list');
  for (const f of fields) if (!/^[\x21-\x39\x3b-\x7e]+$/.test(f)) throw bad('Bad header field name');
  const specText = spec + (needsFields ? ` (${fields.map((f) => f.toUpperCase()).join(' ')})` : '');
  const text = [part.join('.'), specText].filter(Boolean).join('.');
  return { part, spec, fields: fields.map((f) => f.toLowerCase()), text };
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}
