/** One actor per user, per domain and one for server-wide files; made on demand, dropped when idle. */
import { Actor } from './actor.js';
import { domainLockFile, userLockFile, systemDir } from '../store/layout.js';
import { join } from 'node:path';
import { splitAddress } from '../common/names.js';

/** Keeps the resident actors and evicts idle ones. */
export class ActorRegistry {
  private readonly actors = new Map<string, Actor>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly root: string,
    private readonly opts: { idleMs: number; maxResident: number; hasListeners?: (id: string) => boolean } = {
      idleMs: 5 * 60_000,
      maxResident: 10_000,
    },
  ) {}

  /** The actor of user `user@domain`. */
  user(userId: string): Actor {
    return this.get(userId, () => {
      const a = splitAddress(userId);
      if (!a) throw new Error(`bad user id ${userId}`);
      return userLockFile(this.root, a.domain, a.user);
    });
  }

  /** The actor of a domain (users, aliases). */
  domain(domain: string): Actor {
    return this.get(`domain:${domain}`, () => domainLockFile(this.root, domain));
  }

  /** The actor for server-wide files (relay queue, reminders). */
  system(): Actor {
    return this.get('system', () => join(systemDir(this.root), '.lock'));
  }

  private get(key: string, lockPath: () => string): Actor {
    let actor = this.actors.get(key);
    if (!actor) {
      actor = new Actor(key, lockPath());
      this.actors.set(key, actor);
      if (this.actors.size > this.opts.maxResident) this.sweep(0);
    }
    return actor;
  }

  /** Drop the actor of a user (after the user is deleted). */
  async forget(key: string): Promise<void> {
    const actor = this.actors.get(key);
    if (!actor) return;
    this.actors.delete(key);
    await actor.close();
  }

  /** Evict actors idle for longer than `idleMs` with no pins and no listeners. */
  sweep(idleMs = this.opts.idleMs): void {
    const now = Date.now();
    for (const [key, actor] of this.actors) {
      if (!actor.idle() || actor.pins > 0 || now - actor.lastUsed < idleMs) continue;
      if (this.opts.hasListeners?.(key)) continue;
      this.actors.delete(key);
      void actor.close();
    }
  }

  /** Start the periodic idle sweep. */
  start(): void {
    this.timer = setInterval(() => this.sweep(), Math.max(1000, this.opts.idleMs / 2));
    this.timer.unref();
  }

  /** Number of resident actors. */
  get size(): number {
    return this.actors.size;
  }

  /** Stop sweeping and close every actor after its queued work. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.actors.values()].map((a) => a.close()));
    this.actors.clear();
  }
}
