/**
 * Reading a message's displayable body and its parts from the stored MIME tree (byte offsets
 * computed once at delivery): pick the text/html or text/plain part, undo the transfer
 * encoding, convert the charset. No re-parse of the whole message.
 */
import { promises as fsp } from 'node:fs';
import type { MimePart, MessageSummary } from '../../common/mail.js';

/** A part found in the tree, with its IMAP section number. */
export interface FoundPart {
  section: string;
  part: MimePart;
}

/** Walk the tree depth first, giving each leaf its IMAP section number. */
export function leaves(body: MimePart, prefix = ''): FoundPart[] {
  if (body.children && body.children.length) {
    return body.children.flatMap((child, i) => leaves(child, prefix ? `${prefix}.${i + 1}` : String(i + 1)));
  }
  return [{ section: prefix || '1', part: body }];
}

/** The part at an IMAP section number (`1`, `2.1`), or undefined. */
export function partAt(body: MimePart, section: string): MimePart | undefined {
  if (!/^\d+(\.\d+)*$/.test(section)) return undefined;
  let cur: MimePart | undefined = body;
  for (const n of section.split('.').map(Number)) {
    if (!cur) return undefined;
    if (cur.children && cur.children.length) cur = cur.children[n - 1];
    else if (n !== 1) return undefined;
  }
  return cur;
}

const isAttachment = (p: MimePart): boolean =>
  p.disposition?.type.toLowerCase() === 'attachment' || !!p.params['name'] && p.type !== 'text';

/** The preferred body parts: the first non-attachment text/html and text/plain. */
export function bodyParts(summary: MessageSummary): { html?: FoundPart; text?: FoundPart } {
  const out: { html?: FoundPart; text?: FoundPart } = {};
  for (const f of leaves(summary.body)) {
    if (f.part.type !== 'text' || isAttachment(f.part)) continue;
    if (f.part.subtype === 'html' && !out.html) out.html = f;
    if (f.part.subtype === 'plain' && !out.text) out.text = f;
  }
  return out;
}

/** The section of the part whose Content-ID is `cid`, or null. */
export function sectionOfCid(summary: MessageSummary, cid: string): string | null {
  const want = cid.replace(/^<|>$/g, '').toLowerCase();
  for (const f of leaves(summary.body)) {
    if (f.part.id && f.part.id.replace(/^<|>$/g, '').toLowerCase() === want) return f.section;
  }
  return null;
}

/** Quoted-printable and transfer decoding live in common (shared with IMAP and the mime worker). */
export { decodeQuotedPrintable as decodeQp, decodeTransferEncoding as decodeTransfer } from '../../common/transfer-encoding.js';
import { decodeTransferEncoding as decodeTransfer } from '../../common/transfer-encoding.js';

/** windows-1252 bytes 0x80-0x9F (Node's decoder treats the label as Latin-1 there). */
const CP1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** Bytes to text in a MIME charset (UTF-8 when unknown). */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').trim().toLowerCase().replace(/^"|"$/g, '');
  if (/^(windows-1252|cp1252|iso-8859-1|latin1|us-ascii|ascii)$/.test(cs) && !(cs.includes('ascii') && bytes.every((b) => b < 0x80))) {
    let out = '';
    for (const b of bytes) out += b >= 0x80 && b <= 0x9f ? CP1252[b - 0x80] : String.fromCharCode(b);
    return out;
  }
  try {
    return new TextDecoder(cs === 'us-ascii' || cs === 'ascii' ? 'utf-8' : cs).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Read a part's decoded bytes from the message file. */
export async function readPart(file: string, part: MimePart): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const len = Math.max(0, part.end - part.bodyStart);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, part.bodyStart);
    return decodeTransfer(buf, part.encoding);
  } finally {
    await fh.close();
  }
}

/** Read a text part as a string. */
export async function readText(file: string, part: MimePart): Promise<string> {
  return decodeCharset(await readPart(file, part), part.params['charset']);
}
