/**
 * Answer BODY[section]<partial>, BINARY[section] and BINARY.SIZE (RFC 3501 6.4.5, RFC 3516) by
 * reading byte ranges of the stored message file, located through the MimePart offsets the
 * `mime` worker stored at delivery: nothing is re-parsed except the header block for
 * HEADER.FIELDS and the transfer decoding of one part for BINARY.
 */
import { readSync } from 'node:fs';
import type { MimePart } from '../common/mail.js';
import type { SectionAtt } from './parse-fetch.js';

/** A byte range of the message file, or bytes already computed. */
export type Piece = { start: number; end: number } | { data: Buffer } | null;

/** Find the part a section path names (RFC 3501 6.4.5 numbering, message/rfc822 descends). */
export function findPart(root: MimePart, path: number[]): MimePart | null {
  let cur: MimePart = root;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    let container: MimePart = cur;
    if (i > 0 && cur.type === 'message' && cur.subtype === 'rfc822' && cur.message) container = cur.message.body;
    if (container.type === 'multipart') {
      const kid = container.children?.[n - 1];
      if (!kid) return null;
      cur = kid;
    } else if (n === 1) {
      cur = container;
    } else return null;
  }
  return cur;
}

/** The byte range (or filtered bytes) a section names; null when the part does not exist. */
export function sectionPiece(fd: number, root: MimePart, att: SectionAtt, fileSize: number): Piece {
  if (att.part.length === 0) {
    if (att.spec === '') return { start: 0, end: fileSize };
    if (att.spec === 'TEXT') return { start: root.bodyStart, end: fileSize };
    const header = { start: 0, end: root.bodyStart };
    return att.spec === 'HEADER' ? header : filterFields(readRange(fd, header), att);
  }
  const part = findPart(root, att.part);
  if (!part) return null;
  switch (att.spec) {
    case '': return { start: part.bodyStart, end: part.end };
    case 'MIME': return { start: part.headerStart, end: part.bodyStart };
    default: {
      const inner = part.type === 'message' && part.subtype === 'rfc822' && part.message ? part.message.body : null;
      if (!inner) return null;
      if (att.spec === 'TEXT') return { start: inner.bodyStart, end: inner.end };
      const header = { start: inner.headerStart, end: inner.bodyStart };
      return att.spec === 'HEADER' ? header : filterFields(readRange(fd, header), att);
    }
  }
}

/**
 * Read a byte range of an open file, synchronously: message files are small and hot in the page
 * cache, and a libuv thread-pool hop per message cost ten times more than the read itself
 * (callers keep ranges to 256 KiB and yield between pieces).
 */
export function readRange(fd: number, r: { start: number; end: number }): Buffer {
  const len = Math.max(0, r.end - r.start);
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const n = readSync(fd, buf, off, len - off, r.start + off);
    if (n === 0) break;
    off += n;
  }
  return off === len ? buf : buf.subarray(0, off);
}

/** Keep (HEADER.FIELDS) or drop (HEADER.FIELDS.NOT) the named header fields; ends with a blank line. */
export function filterFields(header: Buffer, att: SectionAtt): { data: Buffer } {
  const text = header.toString('latin1');
  const lines = text.split(/\r?\n/);
  const want = new Set(att.fields);
  const keepIfListed = att.spec === 'HEADER.FIELDS';
  const out: string[] = [];
  let keeping = false;
  for (const line of lines) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (keeping) out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    const name = (colon > 0 ? line.slice(0, colon) : line).trim().toLowerCase();
    keeping = want.has(name) === keepIfListed;
    if (keeping) out.push(line);
  }
  return { data: Buffer.from(out.map((l) => `${l}\r\n`).join('') + '\r\n', 'latin1') };
}

/** Decode a part's content-transfer-encoding for BINARY and SEARCH (shared with the mime worker). */
export { decodeTransferEncoding as decodeTransfer } from '../common/transfer-encoding.js';
