/**
 * The outbound relay queue on disk: `queue/{id}.eml` (the signed message, immutable) and
 * `queue/{id}.json` (its state). The message file is renamed into place first, then the state
 * file is written durably, so an entry exists exactly when its JSON does; an `.eml` without a
 * `.json` is an interrupted enqueue and is removed at start. Writers: the system actor and the CLI
 * (both under the system flock).
 */
import { promises as fsp } from 'node:fs';
import { queueDir, queueEntryFile, queueMessageFile, queueFlushFile } from './layout.js';
import { readJson, writeJsonDurable, fsyncDir, mkdirDurable } from './atomic.js';

/** One recipient of a queued message and how far it got. */
export interface QueueRecipient {
  address: string;
  status: 'pending' | 'sent' | 'failed';
  /** Last reply or error for this recipient (e.g. `550 5.1.1 no such user`). */
  error: string | null;
}

/** The state of one queued message. */
export interface QueueEntry {
  id: string;
  /** Envelope sender; empty string for a bounce (null reverse-path). */
  from: string;
  recipients: QueueRecipient[];
  /** ISO timestamps. */
  created: string;
  next_attempt: string;
  attempts: number;
  last_error: string | null;
  size: number;
}

const ID = /^[A-Za-z0-9_-]{8,64}$/;

/** True for a well-formed queue id (never a path). */
export const isQueueId = (id: string): boolean => ID.test(id);

/** Make sure the queue directory exists. */
export const ensureQueueDir = (root: string): Promise<void> => mkdirDurable(queueDir(root));

/** Move a finished, fsync'd temp file into the queue as `{id}.eml` (then fsync the directory). */
export async function commitQueueMessage(root: string, id: string, tempFile: string): Promise<void> {
  await fsp.rename(tempFile, queueMessageFile(root, id));
  await fsyncDir(queueDir(root));
}

/** Write an entry's state durably. */
export const writeQueueEntry = (root: string, entry: QueueEntry): Promise<void> =>
  writeJsonDurable(queueEntryFile(root, entry.id), entry);

/** Read one entry (undefined when gone). */
export const readQueueEntry = (root: string, id: string): Promise<QueueEntry | undefined> =>
  readJson<QueueEntry>(queueEntryFile(root, id));

/** Remove an entry: state first (the entry is gone), then its message. */
export async function removeQueueEntry(root: string, id: string): Promise<void> {
  await fsp.rm(queueEntryFile(root, id), { force: true });
  await fsp.rm(queueMessageFile(root, id), { force: true });
  await fsyncDir(queueDir(root));
}

/** Every entry on disk; removes orphaned `.eml` files (interrupted enqueues) when `sweep` is set. */
export async function listQueueEntries(root: string, sweep = false): Promise<QueueEntry[]> {
  let names: string[];
  try {
    names = await fsp.readdir(queueDir(root));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter(isQueueId));
  const out: QueueEntry[] = [];
  for (const id of [...ids].sort()) {
    try {
      const e = await readQueueEntry(root, id);
      if (e) out.push(e);
    } catch {
      /* a torn JSON cannot exist (writes are atomic); skip anything unreadable */
    }
  }
  if (sweep) {
    for (const n of names) {
      if (n.endsWith('.eml') && !ids.has(n.slice(0, -4))) await fsp.rm(`${queueDir(root)}/${n}`, { force: true });
    }
  }
  return out;
}

/** Touch the flush marker (the CLI asks the running server to retry everything now). */
export async function touchFlushMarker(root: string): Promise<void> {
  await mkdirDurable(queueDir(root));
  await fsp.writeFile(queueFlushFile(root), String(Date.now()));
}

/** True (and removes the marker) when a flush was requested. */
export async function takeFlushMarker(root: string): Promise<boolean> {
  try {
    await fsp.rm(queueFlushFile(root));
    return true;
  } catch {
    return false;
  }
}
