/**
 * The drive store's lifecycle layer (store.ts has the design): opening a drive once (created
 * when missing, its journal replayed, dead temps removed), the in-process turn around the
 * `_index.lock` flock that every change runs in, recovery by replay after a failed commit or
 * another process's rewrite, rebuild, and close.
 *
 * Invariants: a change runs only inside `locked`: the drive open, the flock held, and in-memory
 * state dropped by another process's rewrite replaced by a replay of the journal first.
 */
import { promises as fsp } from 'node:fs';
import { join, dirname } from 'node:path';
import { writeJsonDurable, readJson, fsyncDir } from '../atomic.js';
import { rebuildTree } from './reconcile.js';
import { replayJournal } from './replay.js';
import { INDEX, emptyIndex, type DriveMeta } from './types.js';
import { DriveCheckpoints } from './checkpoint.js';

/** How long a drive directory found missing is taken as missing without another stat. */
const ABSENT_TRUST_MS = 2_000;

/** Opening, locking, recovery and closing of a drive (the fourth layer of DriveStore). */
export abstract class DriveLifecycle extends DriveCheckpoints {
  private opening?: Promise<void>;
  /** When init(false) last found no drive directory (0: not known absent). */
  private absentSince = 0;
  /** In-process turn of `locked` (flock alone does not exclude holders in the same process). */
  private turn: Promise<unknown> = Promise.resolve();

  /**
   * After a failed commit, or when another process rewrote the drive under in-memory changes:
   * replay the journal over the disk (what was durable is kept, the rest was never acknowledged)
   * and reload from the result.
   */
  protected override async recover(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    this.forgetCache();
    this.changed.clear();
    this.metaChanged = false;
    this.pending.clear(); // rewritten from the journal by the replay
    this.unsynced.clear();
    this.unsyncedDirs.clear();
    try {
      const entries = await this.journal.entries();
      if (entries.length) await replayJournal(this.files, this.metaFile, entries);
      await this.journal.clear();
      this.stale = false;
    } catch {
      this.stale = true; // tried again before the next change
    }
    this.forgetCache();
    await this.journal.resync().catch(() => undefined);
  }

  /** True once the drive was opened (it exists and its journal was replayed). */
  get opened(): boolean {
    return this.opening !== undefined;
  }

  /**
   * Open the drive once: create `drive/files/` with its root index and `_meta.json` if missing
   * and replay the journal. A read (`create` false) of a drive that does not exist yet creates
   * nothing (a deleted user's directory must not come back).
   */
  override async init(create = true): Promise<void> {
    if (!this.opening && !create) {
      // a drive found absent is believed absent for a moment (quota asks on every mail write)
      if (Date.now() - this.absentSince < ABSENT_TRUST_MS) return;
      if (!(await fsp.stat(this.drive).then(() => true, () => false))) {
        this.absentSince = Date.now();
        return;
      }
    }
    this.opening ??= this.open().catch((err) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    await fsp.mkdir(this.files, { recursive: true });
    await this.lock.acquire();
    try {
      if ((await readJson(join(this.files, INDEX)).catch(() => undefined)) === undefined) {
        await writeJsonDurable(join(this.files, INDEX), emptyIndex(''));
        await fsyncDir(dirname(this.files));
      }
      if ((await readJson(this.metaFile).catch(() => undefined)) === undefined) {
        await writeJsonDurable(this.metaFile, { ctag: 0, sync_token: 0, total_files: 0, total_dirs: 0, total_bytes: 0 } satisfies DriveMeta);
      }
      const entries = await this.journal.entries();
      if (entries.length) await replayJournal(this.files, this.metaFile, entries);
      await this.journal.clear();
      this.forgetCache();
      this.stale = false;
      // Upload and trash temps of a process that died (this one has none yet: nothing was opened).
      for (const name of await fsp.readdir(this.drive)) {
        if (/^\.(upload|trash)-[0-9a-f]+\.tmp$/.test(name)) await fsp.rm(join(this.drive, name), { recursive: true, force: true });
      }
    } finally {
      this.lock.release();
    }
  }

  /** Recompute every `_index.json` and `_meta.json` from a walk of the files (holds the lock). */
  async rebuild(): Promise<void> {
    await this.locked(async () => {
      await this.checkpoint();
      await rebuildTree(this.files, this.metaFile);
      this.forgetCache();
    });
  }

  /** Run one index mutation holding `drive/files/_index.lock` (one at a time in this process too). */
  override async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.init();
    const run = this.turn.then(async () => {
      if (this.holds++ === 0) {
        try {
          await this.lock.acquire();
        } catch (err) {
          this.holds--;
          throw err;
        }
      }
      try {
        this.fresh(true);
        if (this.stale) await this.recover();
        return await fn();
      } finally {
        this.unhold();
      }
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** Drop this handle as a kill -9 would: no checkpoint, files closed (crash tests). */
  async abandon(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flushing?.catch(() => undefined);
    this.timer = undefined;
    await this.turn;
    await this.growing;
    await this.journal.close();
    await this.lock.close();
  }

  /** Checkpoint (indexes synced, journal emptied), then close the lock and journal files. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    let clean = false;
    if (this.opening) clean = await this.locked(() => this.checkpoint()).then(() => true, () => false);
    clearTimeout(this.timer);
    await this.growing;
    await this.journal.close(clean);
    await this.lock.close();
  }
}
