/**
 * Writes to the server-wide relay queue and DKIM keys, each inside the system actor (serial, under
 * the system flock shared with the CLI), so services never call store writes themselves.
 */
import type { ActorRegistry } from './registry.js';
import {
  commitQueueMessage, ensureQueueDir, listQueueEntries, removeQueueEntry, writeQueueEntry, type QueueEntry,
} from '../store/queue.js';
import { readDkimKey, writeDkimKey } from '../store/dkim.js';

/** The system actor's queue and key operations. */
export class QueueFiles {
  constructor(private readonly actors: ActorRegistry, private readonly root: string) {}

  /** Every entry on disk (orphaned messages of interrupted enqueues are removed). */
  load(): Promise<QueueEntry[]> {
    return this.actors.system().mutate(async () => {
      await ensureQueueDir(this.root);
      return listQueueEntries(this.root, true);
    });
  }

  /** Move a durable temp file into the queue and write the entry's state: the entry now exists. */
  add(entry: QueueEntry, tempFile: string): Promise<void> {
    return this.actors.system().mutate(async () => {
      await commitQueueMessage(this.root, entry.id, tempFile);
      await writeQueueEntry(this.root, entry);
    });
  }

  /** Persist an entry's new state. */
  save(entry: QueueEntry): Promise<void> {
    return this.actors.system().mutate(() => writeQueueEntry(this.root, entry));
  }

  /** Remove a finished entry and its message. */
  remove(id: string): Promise<void> {
    return this.actors.system().mutate(() => removeQueueEntry(this.root, id));
  }

  /** A domain's DKIM private key, made by `generate` (outside any other write) when missing. */
  dkimKey(domain: string, generate: () => Promise<string>): Promise<string> {
    return this.actors.system().mutate(async () => {
      const have = await readDkimKey(this.root, domain);
      if (have) return have;
      const pem = await generate();
      await writeDkimKey(this.root, domain, pem);
      return pem;
    });
  }
}
