/**
 * The IMAP response writer's pure half (RFC 3501 section 9 / 7.4.2): strings (quoted, literal,
 * NIL), flag lists, INTERNALDATE, ENVELOPE and BODYSTRUCTURE from the stored summaries. Non-ASCII
 * envelope text is sent as RFC 2047 encoded-words unless the client enabled UTF8=ACCEPT.
 */
import libmime from 'libmime';
import type { AddressField, Envelope, EnvelopeAddress, MimePart } from '../common/mail.js';

const SAFE_QUOTED = /^[\x20-\x7e]*$/;
/** Printable ASCII without `"` and `\`: quoted as is (the common case, one test). */
const PLAIN_QUOTED = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as a quoted string, or a literal when it cannot be quoted. */
export function str(s: string | null | undefined, utf8 = false): string {
  if (s === null || s === undefined) return 'NIL';
  if (s.length < 1000 && PLAIN_QUOTED.test(s)) return `"${s}"`;
  if (s.length < 1000 && SAFE_QUOTED.test(s)) return `"${s.replace(/["\\]/g, '\\$&')}"`;
  if (utf8 && s.length < 1000 && !/[\r\n\0]/.test(s)) return `"${s.replace(/["\\]/g, '\\$&')}"`;
  return `{${Buffer.byteLength(s)}}\r\n${s}`;
}

/** Header text for an envelope: encoded-words for non-ASCII unless UTF-8 is enabled. */
function text(s: string | null, utf8: boolean): string {
  if (s === null) return 'NIL';
  if (s.length < 1000 && PLAIN_QUOTED.test(s)) return `"${s}"`;
  if (!utf8 && /[^\x00-\x7f]/.test(s)) return str(libmime.encodeWord(s, 'B', 0), false);
  return str(s.replace(/[\r\n]+/g, ' '), utf8);
}

/** An astring for a mailbox name or keyword: atom when possible, else quoted/literal. */
export function astr(s: string): string {
  return s.length > 0 && /^[\x21-\x7e]+$/.test(s) && !/[(){ %*"\\\]]/.test(s) ? s : str(s, true);
}

/** A parenthesised flag list. */
export function flagList(flags: readonly string[]): string {
  return `(${flags.join(' ')})`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** INTERNALDATE as `"01-Feb-2024 10:00:00 +0000"` (UTC). */
export function internalDate(ms: number): string {
  const d = new Date(ms);
  return `"${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000"`;
}

/**
 * An address list. A plain list never holds group markers, so an address without a domain gets
 * host `MISSING_DOMAIN` (host NIL would read as a group marker, RFC 3501 7.4.2); a group-syntax
 * list (`grouped`) is sent as stored, its markers included.
 */
function addresses(list: EnvelopeAddress[] | undefined, utf8: boolean, grouped = false): string {
  if (!list || list.length === 0) return 'NIL';
  let out = '(';
  for (const a of list) {
    if (a.host === null && !grouped) {
      out += a.mailbox === null
        ? `(NIL NIL ${text(a.name ?? 'MISSING_MAILBOX', utf8)} "MISSING_DOMAIN")`
        : `(${text(a.name, utf8)} NIL ${text(a.mailbox, utf8)} "MISSING_DOMAIN")`;
    } else out += `(${text(a.name, utf8)} NIL ${text(a.mailbox, utf8)} ${text(a.host, utf8)})`;
  }
  return out + ')';
}

/** One address field of an envelope: its group-syntax list when the header has groups. */
function field(e: Envelope, f: AddressField, utf8: boolean): string {
  const g = e.groups?.[f];
  return g ? addresses(g, utf8, true) : addresses(e[f], utf8);
}

/** The ENVELOPE structure (RFC 3501 7.4.2); sender and reply-to default to from. */
export function envelope(e: Envelope, utf8 = false): string {
  const from = field(e, 'from', utf8);
  const sender = e.groups?.sender || e.sender?.length ? field(e, 'sender', utf8) : from;
  const replyTo = e.groups?.replyTo || e.replyTo?.length ? field(e, 'replyTo', utf8) : from;
  return `(${text(e.date, utf8)} ${text(e.subject, utf8)} ${from} ${sender} ${replyTo} ${field(e, 'to', utf8)} ${field(e, 'cc', utf8)} ${field(e, 'bcc', utf8)} ${text(e.inReplyTo, utf8)} ${text(e.messageId, utf8)})`;
}

function params(p: Record<string, string> | null | undefined): string {
  const keys = p ? Object.keys(p) : [];
  if (keys.length === 0) return 'NIL';
  return `(${keys.map((k) => `${str(k.toUpperCase())} ${text(p![k]!, false)}`).join(' ')})`;
}

function disposition(p: MimePart): string {
  return p.disposition ? `(${str(p.disposition.type.toUpperCase())} ${params(p.disposition.params)})` : 'NIL';
}

function language(p: MimePart): string {
  if (!p.language?.length) return 'NIL';
  return p.language.length === 1 ? str(p.language[0]) : `(${p.language.map((l) => str(l)).join(' ')})`;
}

const EMPTY_ENVELOPE = '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)';
/** The stand-in body of a part with no parts or no parsed message: an empty text/plain. */
const EMPTY_TEXT: MimePart = {
  type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, id: null, description: null, encoding: '7BIT',
  size: 0, lines: 0, md5: null, disposition: null, language: null, location: null, headerStart: 0, bodyStart: 0, end: 0,
};

/** BODYSTRUCTURE (`ext` true) or BODY (`ext` false) of a part tree. */
export function bodyStructure(p: MimePart, ext: boolean, utf8 = false): string {
  if (p.type === 'multipart') {
    // a multipart with no parts still needs one body (RFC 3501 body-type-mpart is 1*body): an
    // empty text/plain, with the defaults and extension fields any other one would have
    const kids = p.children?.length ? p.children.map((c) => bodyStructure(c, ext, utf8)).join('') : bodyStructure(EMPTY_TEXT, ext, utf8);
    let out = `(${kids} ${str(p.subtype.toUpperCase())}`;
    if (ext) out += ` ${params(p.params)} ${disposition(p)} ${language(p)} ${str(p.location)}`;
    return out + ')';
  }
  let out = `(${str(p.type.toUpperCase())} ${str(p.subtype.toUpperCase())} ${params(p.params)} ${str(p.id)} ${text(p.description, utf8)} ${str(p.encoding || '7BIT')} ${p.size}`;
  if (p.type === 'message' && p.subtype === 'rfc822') {
    // body-type-msg always has an envelope and a body (RFC 3501 9): one not parsed (a base64 or
    // quoted-printable encoded message/rfc822) gets an empty envelope and an empty text part
    out += p.message
      ? ` ${envelope(p.message.envelope, utf8)} ${bodyStructure(p.message.body, ext, utf8)} ${p.lines ?? 0}`
      : ` ${EMPTY_ENVELOPE} ${bodyStructure(EMPTY_TEXT, ext, utf8)} ${p.lines ?? 0}`;
  } else if (p.type === 'text') {
    out += ` ${p.lines ?? 0}`;
  }
  if (ext) out += ` ${str(p.md5)} ${disposition(p)} ${language(p)} ${str(p.location)}`;
  return out + ')';
}

/** Encode a mailbox name in modified UTF-7 (RFC 3501 5.1.3). */
export function toUtf7(name: string): string {
  return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (chunk) => {
    const buf = Buffer.alloc(chunk.length * 2);
    for (let i = 0; i < chunk.length; i++) buf.writeUInt16BE(chunk.charCodeAt(i), i * 2);
    return `&${buf.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
  });
}

/** Decode a modified UTF-7 mailbox name; null when malformed. */
export function fromUtf7(name: string): string | null {
  let bad = false;
  const out = name.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (b64 === '') return '&';
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) {
      bad = true;
      return '';
    }
    const buf = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (buf.length % 2) bad = true;
    let s = '';
    for (let i = 0; i + 1 < buf.length; i += 2) s += String.fromCharCode(buf.readUInt16BE(i));
    return s;
  });
  if (bad || out.includes('&') && /&(?![^-]*-)/.test(name.replace(/&[^-]*-/g, ''))) return null;
  return out;
}
