/** A serial mailbox: async tasks run strictly one after another; a failing task fails only its caller. */
import { FileLock } from '../store/atomic.js';

/**
 * One actor owns one user's (or one domain's) files. `run` queues a task; `mutate` also holds
 * the cross-process flock on the sidecar lock file for the span of the task.
 */
export class Actor {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private readonly lock: FileLock | null;
  /** Per-actor caches areas keep (mail indexes, calendar indexes); dropped on eviction. */
  readonly state = new Map<string, unknown>();
  /** Last time a task was queued (ms since epoch), for idle eviction. */
  lastUsed = Date.now();
  /** Holders that keep this actor resident (e.g. an IMAP session with a folder selected). */
  pins = 0;

  constructor(readonly id: string, lockPath: string | null) {
    this.lock = lockPath ? new FileLock(lockPath) : null;
  }

  /** Queue `task`; it runs after every task queued before it. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.queued += 1;
    this.lastUsed = Date.now();
    const result = this.tail.then(async () => {
      try {
        return await task();
      } finally {
        this.queued -= 1;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Queue `task` and hold the cross-process flock while it runs. */
  mutate<T>(task: () => Promise<T> | T): Promise<T> {
    return this.run(async () => {
      if (!this.lock) return task();
      await this.lock.acquire();
      try {
        return await task();
      } finally {
        this.lock.release();
      }
    });
  }

  /** True when nothing is queued or running. */
  idle(): boolean {
    return this.queued === 0;
  }

  /** Wait for queued work, then close the lock file. */
  async close(): Promise<void> {
    await this.tail;
    await this.lock?.close();
  }
}
