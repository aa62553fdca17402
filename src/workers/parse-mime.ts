/**
 * Worker task `mime`: the MessageSummary of one message (envelope, body structure with byte
 * offsets, preview, attachments, calendar parts, references), computed once at append time.
 * Pure: reads the message file (or bytes) it is given, touches nothing else.
 */
import { readFile } from 'node:fs/promises';
import type { MessageSummary, MimePart, AttachmentInfo } from '../common/mail.js';
import { parseHeaders, first } from './mime/headers.js';
import { envelopeOf, messageIds } from './mime/envelope.js';
import { parsePart } from './mime/structure.js';
import { partText, htmlToText, decoderFor, identityEncoded } from './mime/text.js';

/** A message file path or its bytes. */
export type MimeInput = { file: string } | { data: Uint8Array };
/** The summary. */
export type MimeOutput = MessageSummary;

const PREVIEW_CHARS = 200;

interface Leaf {
  part: MimePart;
  section: string;
}

/** Leaves with their IMAP section numbers (not descending into message/rfc822). */
function leaves(p: MimePart, section: string, out: Leaf[]): Leaf[] {
  if (p.children) {
    p.children.forEach((c, i) => leaves(c, section ? `${section}.${i + 1}` : String(i + 1), out));
  } else out.push({ part: p, section: section || '1' });
  return out;
}

function isAttachment(l: Leaf, bodyLeaf: Leaf | undefined): boolean {
  const p = l.part;
  if (p.disposition?.type === 'attachment') return true;
  if (l === bodyLeaf) return false;
  if (p.disposition?.params.filename || p.params.name) return true;
  return p.type !== 'text' && p.type !== 'multipart';
}

/** ECMAScript's `\s` (WhiteSpace and LineTerminator): what `/\s+/g` collapses and `trim` removes. */
export function isSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029
    || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The first PREVIEW_CHARS of the text with whitespace collapsed: exactly
 * `text.replace(/\s+/g, ' ').trim().slice(0, PREVIEW_CHARS)`, built from the words it needs
 * (one pass over as much of the text as the preview takes; no window copies, no regex).
 */
export function previewOf(text: string): string {
  const n = text.length;
  let out = '';
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    if (out.length) out += ' ';
    const room = PREVIEW_CHARS - out.length;
    if (room <= 0) break;
    let j = i;
    while (j < n && j - i < room && !isSpace(text.charCodeAt(j))) j++;
    out += text.slice(i, j);
    if (out.length >= PREVIEW_CHARS) break;
    i = j;
  }
  return out.length > PREVIEW_CHARS ? out.slice(0, PREVIEW_CHARS) : out;
}

/** Bytes of a plain body decoded per step while its preview is not complete. */
const PREVIEW_STEP = 2048;

/**
 * The preview of a text/plain part: equal to `previewOf(partText(buf, p))`. A UTF-8 part whose
 * bytes are its text (7bit, 8bit, binary) is decoded from its start a step at a time (a streaming
 * decoder holds back a split character, so each step's text is a prefix of the whole text) until
 * the preview is complete: a 10 KB body is not turned into a 10 KB string for 200 characters.
 */
export function plainPreview(buf: Buffer, p: MimePart): string {
  const decoder = decoderFor(p);
  // UTF-8 only (and US-ASCII, read as UTF-8): Node's one-shot ISO-8859-1 decode is not its
  // streaming one (0x80-0x9f differ), and other charsets are not worth the doubt
  if (!identityEncoded(p) || decoder.encoding !== 'utf-8') return previewOf(partText(buf, p));
  let text = '';
  for (let at = p.bodyStart; ; at += PREVIEW_STEP) {
    const end = Math.min(p.end, at + PREVIEW_STEP);
    const last = end >= p.end;
    text += decoder.decode(buf.subarray(at, end), { stream: !last });
    if (last) return previewOf(text);
    // a complete preview (PREVIEW_CHARS) cannot change with more text
    const preview = previewOf(text);
    if (preview.length >= PREVIEW_CHARS) return preview;
  }
}

/** Compute the summary of one message. */
export function summarize(buf: Buffer): MessageSummary {
  const h = parseHeaders(buf, 0, buf.length);
  const body = parsePart(buf, 0, buf.length, 'text/plain', 0, h);
  const all = leaves(body, '', []);
  const plain = all.find((l) => l.part.type === 'text' && l.part.subtype === 'plain' && l.part.disposition?.type !== 'attachment');
  const html = all.find((l) => l.part.type === 'text' && l.part.subtype === 'html' && l.part.disposition?.type !== 'attachment');
  const bodyLeaf = plain ?? html;
  let preview = '';
  if (bodyLeaf === html && html) preview = previewOf(htmlToText(partText(buf, html.part)));
  else if (bodyLeaf) preview = plainPreview(buf, bodyLeaf.part);
  const attachments: AttachmentInfo[] = all.filter((l) => isAttachment(l, bodyLeaf) && l !== html).map((l) => ({
    section: l.section,
    filename: l.part.disposition?.params.filename ?? l.part.params.name ?? `part-${l.section}`,
    contentType: `${l.part.type}/${l.part.subtype}`,
    size: l.part.size,
  }));
  const calendarParts = all.filter((l) => l.part.type === 'text' && l.part.subtype === 'calendar').map((l) => l.section);
  return {
    envelope: envelopeOf(h),
    body,
    preview,
    attachments,
    calendarParts,
    references: messageIds(first(h, 'references')),
  };
}

/** The task entry: read the input and summarize it. */
export default async function parseMime(input: MimeInput): Promise<MimeOutput> {
  const buf = 'file' in input ? await readFile(input.file) : Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  return summarize(buf);
}
