/** Header blocks of RFC 5322 / MIME entities, located by byte offset (pure). */
import libmime from 'libmime';

/** One parsed header block. */
export interface HeaderBlock {
  /** Lower-case name -> unfolded raw values, in order. */
  fields: Map<string, string[]>;
  /** Offset where the body starts (after the blank line, or `end` when there is none). */
  bodyStart: number;
}

/** Find the end of the header block starting at `start`: offset of the body. */
export function findBodyStart(buf: Buffer, start: number, end: number): { headerEnd: number; bodyStart: number } {
  if (start < end && (buf[start] === 0x0a || (buf[start] === 0x0d && buf[start + 1] === 0x0a))) {
    // no header at all: the blank line comes first
    const bodyStart = buf[start] === 0x0a ? start + 1 : start + 2;
    return { headerEnd: start, bodyStart: Math.min(bodyStart, end) };
  }
  let pos = start;
  while (pos < end) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl >= end) return { headerEnd: end, bodyStart: end };
    const next = nl + 1;
    if (next < end && buf[next] === 0x0a) return { headerEnd: next, bodyStart: next + 1 };
    if (next + 1 < end && buf[next] === 0x0d && buf[next + 1] === 0x0a) return { headerEnd: next, bodyStart: next + 2 };
    if (next === end || (next + 1 === end && buf[next] === 0x0d)) return { headerEnd: end, bodyStart: end };
    pos = next;
  }
  return { headerEnd: end, bodyStart: end };
}

/** Decode header bytes: UTF-8 when valid (RFC 6532), else Latin-1. */
function headerText(buf: Buffer, start: number, end: number): string {
  const s = buf.toString('utf8', start, end);
  return s.includes('\ufffd') ? buf.toString('latin1', start, end) : s;
}

/** Parse the header block of the entity at `start` (before `end`). */
export function parseHeaders(buf: Buffer, start: number, end: number): HeaderBlock {
  const { headerEnd, bodyStart } = findBodyStart(buf, start, end);
  const fields = new Map<string, string[]>();
  const lines = headerText(buf, start, headerEnd).split(/\r?\n/);
  let cur: string | null = null;
  const flush = () => {
    if (cur === null) return;
    const colon = cur.indexOf(':');
    if (colon > 0) {
      const name = cur.slice(0, colon).trim().toLowerCase();
      const value = cur.slice(colon + 1).trim();
      const list = fields.get(name);
      if (list) list.push(value);
      else fields.set(name, [value]);
    }
    cur = null;
  };
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && cur !== null) cur += ' ' + line.trim();
    else {
      flush();
      if (line.length) cur = line;
    }
  }
  flush();
  return { fields, bodyStart };
}

/** The first value of a header, or null. */
export const first = (h: HeaderBlock, name: string): string | null => h.fields.get(name)?.[0] ?? null;

/** A structured header value: main value lower-cased, params with RFC 2231 decoding. */
export function structured(value: string | null): { value: string; params: Record<string, string> } {
  if (!value) return { value: '', params: {} };
  const p = libmime.parseHeaderValue(value);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.params ?? {})) params[k.toLowerCase()] = libmime.decodeWords(String(v));
  return { value: String(p.value ?? '').trim().toLowerCase(), params };
}

/** Decode RFC 2047 encoded words. */
export function decodeWords(value: string | null): string | null {
  if (value === null) return null;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
