/**
 * MIME body structure with absolute byte offsets (RFC 2045/2046, RFC 3501 BODYSTRUCTURE).
 * Tolerant of LF-only lines, missing final boundaries and junk; never throws on bad MIME.
 */
import type { MimePart } from '../../common/mail.js';
import { parseHeaders, first, structured, decodeWords, type HeaderBlock } from './headers.js';
import { envelopeOf } from './envelope.js';

const MAX_DEPTH = 40;

function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, start); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  if (end > start && buf[end - 1] !== 0x0a) n++;
  return n;
}

/** Offsets of the parts between `--boundary` lines in [start, end). */
function splitMultipart(buf: Buffer, start: number, end: number, boundary: string): { start: number; end: number }[] {
  const delim = Buffer.from('--' + boundary);
  const parts: { start: number; end: number }[] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const idx = buf.indexOf(delim, pos);
    if (idx < 0 || idx + delim.length > end) break;
    const atLineStart = idx === start || buf[idx - 1] === 0x0a;
    if (!atLineStart) {
      pos = idx + 1;
      continue;
    }
    const after = idx + delim.length;
    const closing = buf[after] === 0x2d && buf[after + 1] === 0x2d;
    // the line break before the delimiter belongs to the delimiter
    let lineBreak = idx;
    if (lineBreak > start && buf[lineBreak - 1] === 0x0a) lineBreak--;
    if (lineBreak > start && buf[lineBreak - 1] === 0x0d) lineBreak--;
    if (partStart >= 0) parts.push({ start: partStart, end: Math.max(partStart, lineBreak) });
    if (closing) return parts;
    const nl = buf.indexOf(0x0a, after);
    if (nl < 0 || nl >= end) return parts;
    partStart = nl + 1;
    pos = partStart;
  }
  if (partStart >= 0 && partStart <= end) parts.push({ start: partStart, end });
  return parts;
}

/** Parse the entity occupying [start, end) of `buf`. */
export function parsePart(buf: Buffer, start: number, end: number, defaultType = 'text/plain', depth = 0, header?: HeaderBlock): MimePart {
  const h = header ?? parseHeaders(buf, start, end);
  const ct = structured(first(h, 'content-type'));
  let [type, subtype] = (ct.value || defaultType).split('/') as [string, string | undefined];
  if (!subtype || !/^[a-z0-9!#$&^_.+-]+$/.test(type) || !/^[a-z0-9!#$&^_.+-]+$/.test(subtype)) {
    [type, subtype] = defaultType.split('/') as [string, string];
  }
  // no Content-Type: the default type's defaults only (a digest's message/rfc822 has no charset)
  const params = ct.value ? ct.params : {};
  if (type === 'text' && !params.charset) params.charset = 'us-ascii';
  const disp = first(h, 'content-disposition');
  const d = disp ? structured(disp) : null;
  const lang = first(h, 'content-language');
  const part: MimePart = {
    type, subtype, params,
    id: first(h, 'content-id'),
    description: decodeWords(first(h, 'content-description')),
    encoding: (first(h, 'content-transfer-encoding') ?? '7BIT').trim().toUpperCase() || '7BIT',
    size: end - h.bodyStart,
    lines: null,
    md5: first(h, 'content-md5'),
    disposition: d && d.value ? { type: d.value, params: d.params } : null,
    language: lang ? lang.split(',').map((s) => s.trim()).filter(Boolean) : null,
    location: first(h, 'content-location'),
    headerStart: start,
    bodyStart: h.bodyStart,
    end,
  };
  if (type === 'multipart' && depth < MAX_DEPTH && params.boundary) {
    const childDefault = subtype === 'digest' ? 'message/rfc822' : 'text/plain';
    part.children = splitMultipart(buf, h.bodyStart, end, params.boundary)
      .map((p) => parsePart(buf, p.start, p.end, childDefault, depth + 1));
  } else if (type === 'message' && (subtype === 'rfc822' || subtype === 'global') && depth < MAX_DEPTH
    && !['BASE64', 'QUOTED-PRINTABLE'].includes(part.encoding)) {
    const inner = parseHeaders(buf, h.bodyStart, end);
    part.message = { envelope: envelopeOf(inner), body: parsePart(buf, h.bodyStart, end, 'text/plain', depth + 1, inner) };
    part.lines = countLines(buf, h.bodyStart, end);
  } else if (type === 'text' || (type === 'message' && subtype === 'rfc822')) {
    // an encoded message/rfc822 is not parsed, but BODYSTRUCTURE still gives its line count
    part.lines = countLines(buf, h.bodyStart, end);
  }
  return part;
}
