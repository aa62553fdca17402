/** Typed change events published by actors after a write is durable. */

/** Every change an actor can publish. Areas add their own variants here. */
export type Change =
  | { type: 'message-added'; folder: string; uid: number; modseq: number }
  | { type: 'flags-changed'; folder: string; uid: number; flags: string[]; modseq: number }
  | { type: 'expunged'; folder: string; uids: number[]; modseq: number }
  | { type: 'folder-created'; folder: string }
  | { type: 'folder-renamed'; folder: string; to: string }
  | { type: 'folder-deleted'; folder: string }
  | { type: 'calendar-changed'; calendar: string; uid?: string }
  | { type: 'drive-changed'; path: string }
  | { type: 'account-changed' };

/** A listener for one user's changes. */
export type ChangeListener = (change: Change) => void;

/**
 * The in-process change bus: subscribe per user (`user@domain`), publish after a durable write.
 * A listener that throws is isolated from the others.
 */
export class ChangeBus {
  private readonly listeners = new Map<string, Set<ChangeListener>>();

  /** Listen to `userId`'s changes; returns the unsubscribe function. */
  subscribe(userId: string, fn: ChangeListener): () => void {
    let set = this.listeners.get(userId);
    if (!set) {
      set = new Set();
      this.listeners.set(userId, set);
    }
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0) this.listeners.delete(userId);
    };
  }

  /** Deliver `change` to every listener of `userId`. */
  publish(userId: string, change: Change): void {
    const set = this.listeners.get(userId);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(change);
      } catch {
        /* a broken listener must not stop the others */
      }
    }
  }

  /** Number of listeners for a user (an actor with listeners is not evicted). */
  listenerCount(userId: string): number {
    return this.listeners.get(userId)?.size ?? 0;
  }
}
