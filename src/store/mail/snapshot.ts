/**
 * A folder's index snapshot (`index.snap`), written whole by temp + fsync + rename:
 *   line 1: JSON header {v, uidValidity, uidNext, highestModseq, count, expunged: [[uid, modseq]...]}
 *   then one line per message: `uid modseq internalDate size flag flag ...` (ascending uid)
 *   last line: `#end {count}` so a truncated file is detected.
 */
import { promises as fsp } from 'node:fs';
import { writeFileDurable } from '../atomic.js';
import type { MessageMeta } from '../../common/mail.js';

/** The snapshot's header fields. */
export interface SnapshotHeader {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Recent expunges (uid, modseq), oldest first, bounded. */
  expunged: [number, number][];
}

/** A whole snapshot. */
export interface Snapshot extends SnapshotHeader {
  messages: MessageMeta[];
}

/** Read a snapshot: undefined when absent, 'corrupt' when unreadable. */
export async function readSnapshot(path: string): Promise<Snapshot | undefined | 'corrupt'> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return parseSnapshot(buf);
  } catch {
    return 'corrupt';
  }
}

/**
 * Parse without splitting into strings (cold open of 100k messages stays well under a second).
 * Each message gets its own flags array (consumers may sort it); the split is done once per distinct set.
 */
function parseSnapshot(buf: Buffer): Snapshot {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) throw new Error('no header');
  const head = JSON.parse(buf.toString('utf8', 0, nl)) as SnapshotHeader & { v: number; count: number };
  if (head.v !== 1 || !Number.isSafeInteger(head.count) || head.count < 0) throw new Error('bad snapshot header');
  const messages: MessageMeta[] = new Array(head.count);
  const flagSets = new Map<string, string[]>();
  // uid, modseq and size stay small integers; the date (ms) is kept apart: one such big number in
  // this array would make all its elements doubles, and every message's uid and size a heap number
  // (slower to use on every FETCH, and code optimized for small integers deoptimizes on them)
  const nums = [0, 0, 0, 0];
  let date = 0;
  if (!Number.isSafeInteger(head.uidNext) || !Number.isSafeInteger(head.highestModseq)) throw new Error('bad snapshot header');
  let pos = nl + 1;
  let prevUid = 0;
  for (let i = 0; i < head.count; i++) {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new Error('truncated snapshot');
    let p = pos;
    for (let k = 0; k < 4; k++) {
      let v = 0;
      const from = p;
      while (p < end && buf[p] !== 0x20) {
        const c = buf[p]! - 48;
        if (c < 0 || c > 9) throw new Error('bad number');
        v = v * 10 + c;
        p++;
      }
      if (p === from) throw new Error('missing number');
      if (k === 2) date = v;
      else nums[k] = v;
      p++;
    }
    let flags: string[] = [];
    if (p < end) {
      const key = buf.toString('latin1', p, end);
      let set = flagSets.get(key);
      if (!set) flagSets.set(key, (set = key.split(' ')));
      flags = set.slice();
    }
    // uids ascending and below UIDNEXT: anything else is a damaged snapshot (rebuilt from the files)
    if (nums[0]! < 1 || nums[0]! <= prevUid || nums[0]! >= head.uidNext) throw new Error('bad uid');
    prevUid = nums[0]!;
    messages[i] = { uid: nums[0]!, modseq: nums[1]!, internalDate: date, size: nums[3]!, flags };
    pos = end + 1;
  }
  if (buf.toString('latin1', pos, buf.length) !== `#end ${head.count}\n`) throw new Error('truncated snapshot');
  return { uidValidity: head.uidValidity, uidNext: head.uidNext, highestModseq: head.highestModseq, expunged: head.expunged ?? [], messages };
}

/** Write a snapshot durably. Flags are IMAP atoms (no spaces), so a plain text line suffices. */
export async function writeSnapshot(path: string, snap: SnapshotHeader, messages: readonly MessageMeta[]): Promise<void> {
  const head = JSON.stringify({ v: 1, ...snap, count: messages.length });
  const parts: string[] = [head];
  for (const m of messages) {
    parts.push(m.flags.length ? `${m.uid} ${m.modseq} ${m.internalDate} ${m.size} ${m.flags.join(' ')}` : `${m.uid} ${m.modseq} ${m.internalDate} ${m.size}`);
  }
  parts.push(`#end ${messages.length}`, '');
  await writeFileDurable(path, Buffer.from(parts.join('\n'), 'utf8'));
}
