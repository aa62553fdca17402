/**
 * Bare LF line ends made CRLF for APPEND (RFC 3501 6.3.11: the message is an RFC 5322 message,
 * whose lines end in CRLF; Dovecot serves such a message with CRLF, Cyrus refuses it). A message
 * that already uses CRLF throughout is left as it is, byte for byte, and costs one scan.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';

const LF = 0x0a;
const CR = 0x0d;

/** Index of the first LF not preceded by CR (`prevCr`: the byte before `buf` was a CR), or -1. */
function firstBareLf(buf: Uint8Array, prevCr: boolean): number {
  let i = buf.indexOf(LF);
  while (i >= 0 && (i > 0 ? buf[i - 1] === CR : prevCr)) i = buf.indexOf(LF, i + 1);
  return i;
}

const CRLF = Buffer.from('\r\n');

/** `buf` with every bare LF made CRLF (`prevCr`: the byte before `buf` was a CR). */
function convert(buf: Uint8Array, prevCr: boolean): Buffer {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) {
    if (i > 0 ? buf[i - 1] === CR : prevCr) continue;
    parts.push(buf.subarray(start, i), CRLF);
    start = i + 1;
  }
  parts.push(buf.subarray(start));
  return Buffer.concat(parts);
}

/** The message with bare LFs made CRLF, or null when it has none. */
export function crlfBytes(data: Uint8Array): Buffer | null {
  return firstBareLf(data, false) < 0 ? null : convert(data, false);
}

const CHUNK = 256 * 1024;

/**
 * For a message streamed to `path`: when it has a bare LF (`bareLf`: from the caller's
 * `scanFile`), a copy with CRLF line ends written beside it (`path.crlf`, its name answered);
 * null when it has none (nothing written).
 */
export async function crlfFile(path: string, bareLf = scanFile(path).bareLf): Promise<string | null> {
  if (!bareLf) return null;
  const src = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const out = `${path}.crlf`;
    const dst = await open(out, 'w', 0o600);
    let done = false;
    try {
      let prevCr = false;
      for (let pos = 0; ;) {
        const { bytesRead } = await src.read(buf, 0, CHUNK, pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        await dst.write(convert(chunk, prevCr));
        prevCr = chunk[bytesRead - 1] === CR;
        pos += bytesRead;
      }
      done = true;
    } finally {
      await dst.close();
      if (!done) await rm(out, { force: true });
    }
    return out;
  } finally {
    await src.close();
  }
}

/** What one pass over a streamed literal found. */
export interface FileScan {
  /** A NUL byte (APPEND refuses it, see commands/append.ts). */
  nul: boolean;
  /** An LF not preceded by CR. */
  bareLf: boolean;
}

/**
 * Scan a streamed literal for NUL and bare LF in one pass. Read synchronously: the file was just
 * written and is in the page cache, and three thread-pool hops (open, read, close) cost more than
 * the scan (the same reasoning as fetch-body.ts readRange).
 */
export function scanFile(path: string): FileScan {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const found: FileScan = { nul: false, bareLf: false };
    let prevCr = false;
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) return found;
      const chunk = buf.subarray(0, n);
      found.nul ||= chunk.includes(0);
      found.bareLf ||= firstBareLf(chunk, prevCr) >= 0;
      if (found.nul && found.bareLf) return found;
      prevCr = chunk[n - 1] === CR;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}
