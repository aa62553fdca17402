/**
 * Per-user webmail preferences, `preferences.json` in the user's directory (reference.md:
 * calendar visibility persists as `calendar_visible.{name}`). Reads are cached per user; writes
 * are read-modify-write inside the user's actor (serial, under the user's flock), durable.
 */
import type { ActorRegistry } from '../actors/registry.js';
import { preferencesFile } from '../store/layout.js';
import { readJson, writeJsonDurable } from '../store/atomic.js';
import { splitAddress } from '../common/names.js';
import { ValidationError } from '../common/errors.js';

/** The preferences document: flat dotted keys to JSON scalars. */
export type Preferences = Record<string, string | number | boolean | null>;

/** Reads and writes preferences.json. */
export class PreferencesService {
  constructor(private readonly root: string, private readonly actors: ActorRegistry) {}

  private file(userId: string): string {
    const a = splitAddress(userId);
    if (!a) throw new ValidationError('Bad user id');
    return preferencesFile(this.root, a.domain, a.user);
  }

  /** The user's preferences ({} when none were saved). */
  async get(userId: string): Promise<Preferences> {
    const cached = this.actors.user(userId).state.get('preferences') as Preferences | undefined;
    if (cached) return cached;
    const prefs = (await readJson<Preferences>(this.file(userId))) ?? {};
    this.actors.user(userId).state.set('preferences', prefs);
    return prefs;
  }

  /** Merge `patch` into the user's preferences durably; returns the new document. */
  async set(userId: string, patch: Preferences): Promise<Preferences> {
    const file = this.file(userId);
    const actor = this.actors.user(userId);
    return actor.mutate(async () => {
      const cur = (await readJson<Preferences>(file)) ?? {};
      const next = { ...cur, ...patch };
      await writeJsonDurable(file, next);
      actor.state.set('preferences', next);
      return next;
    });
  }
}
