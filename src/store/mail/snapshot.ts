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
  let text: string;
  try {
    text = await fsp.readFile(path, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return parseSnapshot(text);
  } catch {
    return 'corrupt';
  }
}

function parseSnapshot(text: string): Snapshot {
  const lines = text.split('\n');
  const head = JSON.parse(Buffer.from(lines[0]!, 'latin1').toString('utf8')) as SnapshotHeader & { v: number; count: number };
  if (head.v !== 1) throw new Error('bad snapshot version');
  const messages: MessageMeta[] = new Array(head.count);
  let i = 0;
  for (; i < head.count; i++) {
    const parts = lines[i + 1]!.split(' ');
    const uid = Number(parts[0]);
    const modseq = Number(parts[1]);
    const internalDate = Number(parts[2]);
    const size = Number(parts[3]);
    if (!(uid > 0) || !(modseq >= 0) || !Number.isFinite(internalDate) || !(size >= 0)) throw new Error('bad line');
    const flags = parts.length > 4 ? parts.slice(4) : [];
    messages[i] = { uid, modseq, internalDate, size, flags };
  }
  if (lines[i + 1] !== `#end ${head.count}`) throw new Error('truncated snapshot');
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
