/**
 * The drive store's checkpoint layer (store.ts has the design): plans checkpoints (journal or
 * unsynced data past a bound, or a few seconds after a change), takes the sets of changes under
 * the lock (switching journal files when it can), writes the held files, the changed indexes and
 * `_meta.json`, syncs them on the disk worker (disk-worker.ts) and empties the journal file that
 * covered them.
 *
 * Invariants: a journal file is emptied only once everything it covers is fsync'd; on failure
 * the changes return to the live sets and the journal is kept.
 */
import { renameSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tempPath } from '../atomic.js';
import { writeTemp, putFileUnsynced, syncIfThere } from './disk.js';
import { syncPaths, putSynced, type PutOp } from './disk-worker.js';
import type { DriveJournal } from './journal-file.js';
import { INDEX } from './types.js';
import type { Held } from './index-cache.js';
import { DriveCommits } from './commit.js';

/** Journal bytes past which a checkpoint writes the indexes and empties it. */
const JOURNAL_MAX = 4 * 1024 * 1024;
/** Data bytes written past which a checkpoint runs (bounds what a recovery rehashes). */
const DATA_MAX = 256 * 1024 * 1024;
/** A checkpoint follows the first change after this long. */
const CHECKPOINT_MS = 3000;
/** Files a checkpoint syncs at a time (each sync is a disk flush; the commits' journal writes queue behind them). */
const SYNC_LANES = 2;

/** What one checkpoint makes durable (DriveStore.snapshot). */
interface Snapshot {
  /** The journal file that covers it, emptied at the end (undefined: both files, lock held). */
  old?: DriveJournal;
  changed: Set<string>;
  meta: boolean;
  held: Map<string, Held>;
  files: Set<string>;
  dirs: Set<string>;
}

/** Run `fn` over `items`, at most `lanes` at a time. */
async function paced<T>(items: T[], lanes: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Files and directories synced by the event loop's own calls, SYNC_LANES at a time (when the sync worker cannot run). */
async function syncHere(files: string[], dirs: string[]): Promise<void> {
  await paced(files, SYNC_LANES, (f) => syncIfThere(f, false));
  await paced(dirs, SYNC_LANES, (d) => syncIfThere(d, true));
}

/** Checkpoints of a drive: what is ahead of the disk written, synced, and the journal emptied (the third layer of DriveStore). */
export abstract class DriveCheckpoints extends DriveCommits {
  /** Holders of the `_index.lock` flock in this process (a checkpoint running without the turn keeps it). */
  protected holds = 0;
  protected timer?: NodeJS.Timeout;
  /** A timed checkpoint is on its way (no other is planned meanwhile); the handle was closed. */
  private queued = false;
  protected closed = false;
  /** The unlocked part of a checkpoint in progress (writeSnapshot). */
  protected flushing?: Promise<void>;

  /** A journal `growAhead` in progress (it keeps the flock, like a checkpoint aside). */
  protected growing?: Promise<void>;

  /**
   * With the lock held (after a commit): when the journal's zeroed space runs low, extend it
   * now, off the request path, keeping the flock until it is done.
   */
  private growJournal(): void {
    if (this.holds === 0 || this.growing || this.closed || !this.journal.wantsGrow) return;
    this.holds++;
    this.growing = this.journal.growAhead()
      .catch(() => undefined) // the next line that needs the space grows the file itself
      .finally(() => {
        this.growing = undefined;
        this.unhold();
      });
  }

  /** Plan the next checkpoint: soon when the journal or the unsynced data is large, else after CHECKPOINT_MS. */
  protected override schedule(): void {
    this.growJournal();
    if (this.queued || this.closed) return;
    const urgent = this.journal.bytes > JOURNAL_MAX || this.dataSince > DATA_MAX;
    if (this.timer && !urgent) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.queued = true;
      void this.checkpointAside()
        .catch(() => undefined) // tried again after the next change; the journals cover everything meanwhile
        .finally(() => {
          this.queued = false;
          if (this.pendingCheckpoint) this.schedule();
        });
    }, urgent ? 0 : CHECKPOINT_MS);
    this.timer.unref();
  }

  /**
   * A checkpoint that holds the lock only to switch journal files and the sets of changes; the
   * writes and syncs run while commits go on (the flock is kept: no settle by another process
   * meanwhile). Resolves once the state it covers is durable and its journal file emptied.
   */
  async checkpointAside(): Promise<void> {
    let running: Promise<void> | undefined;
    await this.locked(async () => {
      await this.flushing?.catch(() => undefined);
      if (!this.journal.canRotate) return this.checkpoint();
      if (!this.pendingCheckpoint) return;
      const snap = await this.snapshot(true);
      this.holds++;
      running = this.flushing = this.writeSnapshot(snap).finally(() => {
        this.flushing = undefined;
        this.unhold();
      });
    });
    await running;
  }

  /** Test seam: awaited between the steps of a checkpoint (crash-cut tests copy the disk there). */
  onCheckpointStep?: (step: string) => Promise<void> | void;

  /** True while something is ahead of the disk's synced state. */
  private get pendingCheckpoint(): boolean {
    return this.changed.size > 0 || this.metaChanged || this.pending.size > 0 || this.unsynced.size > 0 || this.unsyncedDirs.size > 0 || this.journal.bytes > 0 || !this.journal.canRotate;
  }

  /**
   * Everything ahead of the disk (changed indexes, held files, unsynced files and directories),
   * handed to a checkpoint; later changes start from empty sets. With `rotate`, later journal
   * lines go to the other journal file (lock held: O(1) and one header write).
   */
  private async snapshot(rotate: boolean): Promise<Snapshot> {
    const old = rotate ? await this.journal.rotate() : undefined;
    const snap: Snapshot = { old, changed: this.changed, meta: this.metaChanged, held: this.pending, files: this.unsynced, dirs: this.unsyncedDirs };
    this.changed = new Set();
    this.metaChanged = false;
    this.pending = new Map();
    this.unsynced = new Set();
    this.unsyncedDirs = new Set();
    this.dataSince = 0;
    this.flushingHeld = snap.held;
    this.flushingChanged = snap.changed;
    return snap;
  }

  /**
   * Make a snapshot's state durable, then empty the journal that covered it (`snap.old`, or
   * both files when it did not rotate: lock held then). Held files are written into place
   * without a sync, each in one turn of the event loop with the check that no later commit
   * replaced it (a commit renames in one turn too), WRITE_SLICE per turn; the changed indexes
   * and `_meta.json` are written as they are now (a later change among them is also in the
   * newer journal, whose replay sets the same absolute values); then the sync worker fdatasyncs
   * every file, then every directory, one at a time (a flood of flushes would hold up the
   * journal writes of the commits going on). Until the journal is emptied it covers all of it.
   * On failure everything not yet written returns to the live sets and the journal is kept
   * (the next checkpoint, under the lock, empties both files).
   */
  private async writeSnapshot(snap: Snapshot): Promise<void> {
    try {
      const step = async (name: string) => this.onCheckpointStep?.(name);
      await step('switched');
      await this.writeHeld(snap);
      await step('held files written');
      for (const key of snap.changed) {
        const idx = this.cache.get(key);
        if (!idx) continue;
        const path = join(this.path(key ? key.split('/') : []), INDEX);
        const tmp = tempPath(path);
        try {
          writeTemp(tmp, JSON.stringify(idx) + '\n');
          renameSync(tmp, path);
        } catch (err) {
          rmSync(tmp, { force: true });
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // its directory went away since
          throw err;
        }
        snap.files.add(path);
        snap.dirs.add(dirname(path));
      }
      if (snap.meta && this.meta) {
        const tmp = tempPath(this.metaFile);
        this.metaSig = writeTemp(tmp, JSON.stringify(this.meta, null, 1) + '\n');
        renameSync(tmp, this.metaFile);
        snap.files.add(this.metaFile);
        snap.dirs.add(this.drive);
      }
      await step('indexes written');
      const files = [...snap.files];
      const dirs = [...snap.dirs];
      await syncPaths(files).catch(() => syncHere(files, []));
      await step('files synced');
      await syncPaths(dirs).catch(() => syncHere([], dirs));
      await step('directories synced');
      if (snap.old) await this.journal.finish(snap.old);
      else await this.journal.clear();
      await step('journal emptied');
    } catch (err) {
      for (const k of snap.changed) this.changed.add(k);
      if (snap.meta) this.metaChanged = true;
      for (const [path, p] of snap.held) if (!this.pending.has(path)) this.pending.set(path, p);
      for (const f of snap.files) this.unsynced.add(f);
      for (const d of snap.dirs) this.unsyncedDirs.add(d);
      throw err;
    } finally {
      this.flushingHeld = undefined;
      this.flushingChanged = undefined;
    }
  }

  /**
   * Write and sync a snapshot's held files (on the disk worker; on the event loop when it
   * cannot run). A new file is created in place, its name
   * taken with O_EXCL: a file a later commit renamed there first wins. Any other goes through a
   * synced temp, renamed over the file only if no later commit replaced it meanwhile (the
   * check and the rename in one turn of the event loop; commits rename in one turn too). A
   * written file is read from disk from then on.
   */
  private async writeHeld(snap: Snapshot): Promise<void> {
    const todo = [...snap.held];
    const ops: PutOp[] = todo.map(([path, p]) => ({ path, data: p.data, ...(p.fresh ? {} : { tmp: tempPath(path) }) }));
    const results = await putSynced(ops).catch(() => undefined);
    if (!results) {
      // The worker cannot run: here, one file per turn, written unsynced (synced with the indexes).
      for (const [path, p] of todo) {
        if (snap.held.get(path) !== p) continue;
        putFileUnsynced(path, p.data, p.fresh);
        snap.held.delete(path);
        snap.files.add(path);
        snap.dirs.add(dirname(path));
      }
      return;
    }
    for (let i = 0; i < todo.length; i++) {
      const [path, p] = todo[i]!;
      const r = results[i];
      const tmp = ops[i]!.tmp;
      if (r === 'exists') {
        // Something was there after all (a later commit's file): still held if nothing replaced it.
        if (snap.held.get(path) === p) {
          putFileUnsynced(path, p.data, false);
          snap.held.delete(path);
          snap.files.add(path);
          snap.dirs.add(dirname(path));
        }
        continue;
      }
      if (r === 'temp' && tmp) {
        if (snap.held.get(path) === p) renameSync(tmp, path);
        else {
          rmSync(tmp, { force: true });
          continue;
        }
      }
      if (snap.held.get(path) === p) snap.held.delete(path);
      snap.dirs.add(dirname(path));
    }
  }

  /** Release one hold of the flock (see `holds`). */
  protected unhold(): void {
    if (--this.holds === 0) this.lock.release();
  }

  /**
   * Write every index changed in memory and `_meta.json` (temp + rename), fsync them with the
   * data files and directories written since the last checkpoint, then empty the journal
   * (lock held; a checkpoint running without it is awaited first). A crash at any point leaves
   * the journal to replay over whatever was written.
   */
  async checkpoint(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing?.catch(() => undefined);
    if (!this.pendingCheckpoint) return;
    await this.writeSnapshot(await this.snapshot(this.journal.canRotate));
  }

  /** Run one index mutation holding the drive's lock (lifecycle.ts). */
  abstract locked<T>(fn: () => Promise<T>): Promise<T>;
}
