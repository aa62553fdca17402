/**
 * A folder's index journal (`index.log`): one line per change, `{crc32 hex} {json}\n`.
 * Every change record carries the folder modseq it created, so replaying a journal over a
 * snapshot skips what the snapshot already holds (compaction is crash-safe without a generation).
 * Move intents (`m`, retired by `d`) carry no modseq: they are replayed always, and compaction
 * writes the still-pending ones into the fresh journal.
 */
import { crc32 } from 'node:zlib';

/** One journal record. */
export type JournalRecord =
  /**
   * message added: uid, modseq, internal date (ms), size, flags. `crc` (crc32 of the file) and
   * `n` (records in its commit) are set when the file's fsync ran together with this line's, so
   * a restart checks the last commit's files against them. `data` (base64) is the message itself
   * when its file was written without fsync (a small APPEND: this line is its only sync before the
   * acknowledgement): on open the file is checked against `crc` and rewritten from `data` when it
   * did not survive; compaction fsyncs such files before the journal is emptied.
   */
  | { t: 'a'; uid: number; modseq: number; date: number; size: number; flags: string[]; crc?: number; n?: number; data?: string }
  /** flags replaced */
  | { t: 'f'; uid: number; modseq: number; flags: string[] }
  /** messages expunged */
  | { t: 'x'; modseq: number; uids: number[] }
  /** move intent (written before the copy): `uids` here become `dst` uids in folder id `to` */
  | { t: 'm'; id: number; uids: number[]; to: string; dst: number[] }
  /** move intent `id` finished or rolled back */
  | { t: 'd'; id: number };

/** Encode one record as a journal line. */
export function encodeRecord(r: JournalRecord): string {
  const arr = r.t === 'a' ? (r.crc === undefined ? ['a', r.uid, r.modseq, r.date, r.size, r.flags]
    : r.data === undefined ? ['a', r.uid, r.modseq, r.date, r.size, r.flags, r.crc, r.n ?? 1]
    : ['a', r.uid, r.modseq, r.date, r.size, r.flags, r.crc, r.n ?? 1, r.data])
    : r.t === 'f' ? ['f', r.uid, r.modseq, r.flags]
    : r.t === 'x' ? ['x', r.modseq, r.uids]
    : r.t === 'm' ? ['m', r.id, r.uids, r.to, r.dst]
    : ['d', r.id];
  const json = JSON.stringify(arr);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** What reading a journal found. */
export interface JournalRead {
  records: JournalRecord[];
  /** Bytes of whole, valid lines (truncate a torn tail to this). */
  validBytes: number;
  /** `torn`: the last line is incomplete (a crash mid-append; safe to drop). `corrupt`: a complete line is bad. */
  damage: null | 'torn' | 'corrupt';
}

/** Bytes that a canonical base64 string decodes to, or -1 when it is not one. */
function base64Bytes(b64: string): number {
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return -1;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

function decodeLine(line: string): JournalRecord | null {
  const sp = line.indexOf(' ');
  if (sp !== 8) return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  let a: unknown;
  try {
    a = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(a)) return null;
  const n = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const fl = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (a[0] === 'a' && n(a[1]) && n(a[2]) && n(a[3]) && n(a[4]) && fl(a[5])) {
    if (a.length === 8 && n(a[6]) && n(a[7]) && a[7] >= 1) return { t: 'a', uid: a[1], modseq: a[2], date: a[3], size: a[4], flags: a[5], crc: a[6], n: a[7] };
    if (a.length === 9 && n(a[6]) && n(a[7]) && a[7] >= 1 && typeof a[8] === 'string' && base64Bytes(a[8]) === a[4]) {
      return { t: 'a', uid: a[1], modseq: a[2], date: a[3], size: a[4], flags: a[5], crc: a[6], n: a[7], data: a[8] };
    }
    if (a.length !== 6) return null;
    return { t: 'a', uid: a[1], modseq: a[2], date: a[3], size: a[4], flags: a[5] };
  }
  if (a[0] === 'f' && n(a[1]) && n(a[2]) && fl(a[3])) return { t: 'f', uid: a[1], modseq: a[2], flags: a[3] };
  const nums = (v: unknown): v is number[] => Array.isArray(v) && v.every(n);
  if (a[0] === 'x' && n(a[1]) && nums(a[2])) return { t: 'x', modseq: a[1], uids: a[2] };
  if (a[0] === 'm' && n(a[1]) && nums(a[2]) && typeof a[3] === 'string' && nums(a[4]) && a[2].length === a[4].length) {
    return { t: 'm', id: a[1], uids: a[2], to: a[3], dst: a[4] };
  }
  if (a[0] === 'd' && n(a[1])) return { t: 'd', id: a[1] };
  return null;
}

/**
 * Parse a journal's bytes, stopping at the first damaged line. Zero bytes between lines are the
 * space written ahead of the appends (journal-file.ts) and are skipped; `validBytes` is the end
 * of the last whole line, where the next one goes.
 */
export function decodeJournal(buf: Buffer): JournalRead {
  const records: JournalRecord[] = [];
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  let pos = 0;
  let valid = 0;
  while (pos < end) {
    if (buf[pos] === 0) {
      pos++;
      continue;
    }
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl >= end) return { records, validBytes: valid, damage: 'torn' };
    const rec = decodeLine(buf.toString('utf8', pos, nl));
    if (!rec) {
      // a bad line that is the very last one may be a torn write padded by the file system
      const last = nl === end - 1;
      return { records, validBytes: valid, damage: last ? 'torn' : 'corrupt' };
    }
    records.push(rec);
    pos = nl + 1;
    valid = pos;
  }
  return { records, validBytes: valid, damage: null };
}
