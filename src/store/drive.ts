/**
 * One user's drive on disk (reference.md "Drive" storage layout): `drive/_meta.json` and
 * `drive/files/` where every directory holds `_index.json` with self counters (this level) and
 * total counters (recursive). Every change updates the indexes from the leaf up to the root and
 * then `_meta.json`, so any directory's totals are an O(1) read.
 *
 * Durability (DESIGN.md): an upload, mkdir or PROPPATCH is acknowledged once ONE line of the
 * drive's journal (drive-journal.ts, one O_DSYNC write per group commit) holds the change
 * itself: the changed child entries and counters of every index it touches, `_meta.json`, and the
 * whole content of a small upload (up to 64 KB). The small file is then held in memory (read
 * from there) and the indexes are changed in memory only; a large upload's file is fdatasync'd,
 * renamed into place and its directory fsync'd before the reply. A checkpoint (4 MB of journal,
 * 256 MB of data, a few seconds after a change, close, and before every delete/move/copy)
 * writes the held files, the changed `_index.json` files and `_meta.json`, fsyncs them with the
 * unsynced data files and directories, then empties the journal. The journal is two files used
 * in turn (`_journal.log`, `_journal.2.log`): a timed or size-triggered checkpoint holds the
 * lock only to switch commits to the other file and take the sets of changes
 * (`checkpointAside`); the writes and syncs then run while commits go on (held files and syncs
 * on one disk worker thread, drive-sync.ts), and the file that covered them is emptied last.
 * Opening the drive replays both files, older first, over the checkpointed files
 * (drive-journal.ts replayJournal), so after a crash every file and index matches what was
 * acknowledged. A delete, move or copy runs on a checkpointed tree: a `begin` intent naming its
 * paths, the file step, the indexes written through, then a checkpoint.
 *
 * Other processes (`rmail verify`, `rmail backup`) take `_index.lock` and replay the journal
 * first (settleDrive), so they see exactly the live server's in-memory state; the server notices
 * the rewritten `_meta.json` and reloads.
 *
 * Invariants: callers pass components already validated by DrivePath; writers hold the user's
 * actor and `_index.lock`. Uploads are streamed to `drive/.upload-*.tmp` (outside `files/`) or
 * held in memory when small, so an aborted upload never shows in the tree. The in-memory indexes
 * are the truth: changed ones are never evicted before their checkpoint. A transaction edits
 * copies whose `children` are an overlay over the cached map (O(1) however large the
 * directory); the edits are applied to the cached indexes once the journal line is durable.
 */
import { promises as fsp, statSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join, dirname, sep, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonDurable, readJson, fsyncDir, FileLock, tempPath } from './atomic.js';
import { DriveTxn, overlay, countersOf, type StagedFile } from './drive/txn.js';
import { sigOf, writeTemp, putFileUnsynced, syncFile, syncIfThere } from './drive/disk.js';
import { syncPaths, putSynced, type PutOp, type PutResult } from './drive/disk-worker.js';
import { driveDir, driveFilesDir, driveMetaFile, driveIndexLock } from './layout.js';
import { INDEX, now, emptyIndex, type ChildEntry, type DirIndex, type DriveMeta, type Delta } from './drive/types.js';
import type { DirRedo, DriveJournal } from './drive/journal-file.js';
import { JournalPair } from './drive/journal-pair.js';
import { rollForward, rebuildTree } from './drive/reconcile.js';
import { replayJournal } from './drive/replay.js';
import { ConflictError, NotFoundError, HttpError } from '../common/errors.js';

export { DriveTxn, type StagedFile } from './drive/txn.js';
export { emptyIndex, type FileEntry, type DirEntry, type ChildEntry, type DirCounters, type DirIndex, type DriveMeta, type Delta } from './drive/types.js';
export { walkTotals } from './drive/reconcile.js';

/** The recursive totals an entry contributes to its ancestors. */
export async function entryTotals(store: DriveStore, parts: string[], entry: ChildEntry): Promise<Delta> {
  if (entry.type === 'file') return { files: 1, dirs: 0, bytes: entry.size };
  const idx = await store.readIndex(parts);
  return { files: idx?.total_files ?? 0, dirs: (idx?.total_dirs ?? 0) + 1, bytes: idx?.total_bytes ?? 0 };
}

/** Most parsed indexes kept per drive (unchanged ones are dropped past this). */
const CACHE_MAX = 4096;
/** Journal bytes past which a checkpoint writes the indexes and empties it. */
const JOURNAL_MAX = 4 * 1024 * 1024;
/** Data bytes written past which a checkpoint runs (bounds what a recovery rehashes). */
const DATA_MAX = 256 * 1024 * 1024;
/** A checkpoint follows the first change after this long. */
const CHECKPOINT_MS = 3000;
/** Files a checkpoint syncs at a time (each sync is a disk flush; the commits' journal writes queue behind them). */
const SYNC_LANES = 2;

/** A small file held in memory until a checkpoint writes it (see DriveStore.pending). */
interface Held {
  data: Buffer;
  fresh: boolean;
}

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

/** How long a read trusts the cache without looking for another process's rewrite of the drive (see `fresh`). */
const FRESH_MS = 100;

/** How long a drive directory found missing is taken as missing without another stat. */
const ABSENT_TRUST_MS = 2_000;

/** Reads and durable writes of one user's drive. */
export class DriveStore {
  readonly drive: string;
  readonly files: string;
  readonly metaFile: string;
  private readonly lock: FileLock;
  private readonly journal: JournalPair;
  private opening?: Promise<void>;
  /** When init(false) last found no drive directory (0: not known absent). */
  private absentSince = 0;
  /** Parsed indexes by `a/b` key and `_meta.json`: the truth (changed ones are ahead of the disk until a checkpoint). */
  private readonly cache = new Map<string, DirIndex>();
  private meta?: DriveMeta;
  /** Identity of `_meta.json` as this process last wrote or read it: another writer changes it. */
  private metaSig = '';
  /** When `fresh` last looked at `_meta.json` (performance.now()). */
  private freshAt = -Infinity;
  /** Bumped whenever the cache changes: a read that started earlier must not fill it. */
  private generation = 0;
  /** Keys of indexes changed in memory since the last checkpoint (and whether `_meta.json` is). */
  private changed = new Set<string>();
  private metaChanged = false;
  /** Files and directories written since the last checkpoint, not yet fsync'd. */
  private unsynced = new Set<string>();
  private unsyncedDirs = new Set<string>();
  /**
   * Small files acknowledged but not yet on disk, by absolute path (their bytes are in the
   * journal): written and synced at the checkpoint, read from here until then. `fresh`: nothing
   * was on disk at that path (created in place rather than through a temp).
   */
  private pending = new Map<string, Held>();
  /**
   * The held files and changed index keys of the checkpoint being written without the lock:
   * still read from here (held files) and never evicted (indexes) until it is done. A commit
   * that replaces a held file removes it here, so the checkpoint never writes over it.
   */
  private flushingHeld?: Map<string, Held>;
  private flushingChanged?: Set<string>;
  /** Holders of the `_index.lock` flock in this process (a checkpoint running without the turn keeps it). */
  private holds = 0;
  /** Data bytes committed since the last checkpoint. */
  private dataSince = 0;
  /** In-memory changes were dropped because another process rewrote the drive: replay before the next change. */
  private stale = false;
  private timer?: NodeJS.Timeout;
  /** A timed checkpoint is on its way (no other is planned meanwhile); the handle was closed. */
  private queued = false;
  private closed = false;
  /** The unlocked part of a checkpoint in progress (writeSnapshot). */
  private flushing?: Promise<void>;
  /** In-process turn of `locked` (flock alone does not exclude holders in the same process). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(root: string, domain: string, user: string) {
    this.drive = driveDir(root, domain, user);
    this.files = driveFilesDir(root, domain, user);
    this.metaFile = driveMetaFile(root, domain, user);
    this.lock = new FileLock(driveIndexLock(root, domain, user));
    this.journal = new JournalPair(this.drive);
  }

  /**
   * Notice another process's rewrite of the drive (`_meta.json` replaced: a settle by verify or
   * backup, a rebuild): drop the cache (one stat; sync: it never waits for the disk).
   */
  private fresh(force = false): void {
    // Reads look at most every FRESH_MS (the stat was most of a request's system calls);
    // writers, holding the lock, always do.
    const t = performance.now();
    if (!force && t - this.freshAt < FRESH_MS) return;
    this.freshAt = t;
    let sig = '';
    try {
      sig = sigOf(statSync(this.metaFile, { bigint: true }));
    } catch {
      /* no _meta.json yet */
    }
    if (sig === this.metaSig) return;
    this.stale = true; // the journal too may have been emptied (a new generation): re-read before the next change
    this.changed.clear();
    this.metaChanged = false;
    this.pending.clear(); // the other process wrote them from the journal
    this.forgetCache(sig);
  }

  /** The identity `_meta.json` has now ('' when missing). */
  private metaNow(): string {
    try {
      return sigOf(statSync(this.metaFile, { bigint: true }));
    } catch {
      return '';
    }
  }

  /** Drop every parsed index; `sig` is the `_meta.json` identity they will be reloaded from (default: as it is now). */
  private forgetCache(sig = this.metaNow()): void {
    this.cache.clear();
    this.meta = undefined;
    this.metaSig = sig;
    this.generation++;
  }

  /** The absolute path of `parts`; never outside `files/` (asserted, on top of DrivePath). */
  path(parts: readonly string[]): string {
    const p = join(this.files, ...parts);
    if (p !== this.files && !p.startsWith(this.files + sep)) throw new HttpError(400, 'Path escapes the drive');
    return p;
  }

  /** A fresh upload temp file name (outside the tree, same file system). */
  tempFile(): string {
    return join(this.drive, `.upload-${randomBytes(8).toString('hex')}.tmp`);
  }

  /** The bytes of a small file acknowledged but not yet written to disk (see `pending`), if `parts` is one. */
  pendingData(parts: readonly string[]): Buffer | undefined {
    if (this.pending.size === 0 && !this.flushingHeld?.size) return undefined;
    this.fresh();
    const path = this.path(parts);
    return (this.pending.get(path) ?? this.flushingHeld?.get(path))?.data;
  }

  /** Read a directory's index (`undefined` when the directory does not exist). Never edit the result. */
  async readIndex(parts: readonly string[]): Promise<DirIndex | undefined> {
    await this.init(false);
    this.fresh();
    const key = parts.join('/');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const gen = this.generation;
    const idx = await readJson<DirIndex>(join(this.path(parts), INDEX)).catch((err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!idx && parts.length === 0) return emptyIndex('');
    if (idx && gen === this.generation) {
      if (this.cache.size >= CACHE_MAX) for (const k of this.cache.keys()) if (!this.changed.has(k) && !this.flushingChanged?.has(k)) this.cache.delete(k);
      this.cache.set(key, idx);
    }
    return idx;
  }

  /** The drive's `_meta.json` (zeros before the first write). Never edit the result. */
  async readMeta(): Promise<DriveMeta> {
    this.fresh();
    if (this.meta) return this.meta;
    const gen = this.generation;
    const meta = (await readJson<DriveMeta>(this.metaFile)) ?? { ctag: 0, sync_token: 0, total_files: 0, total_dirs: 0, total_bytes: 0 };
    if (gen === this.generation) this.meta = meta;
    return meta;
  }

  /** The entry at `parts` (a synthetic dir entry for the root), or undefined; sees `txn`'s staged edits. */
  async stat(parts: readonly string[], txn?: DriveTxn): Promise<ChildEntry | undefined> {
    const get = (p: readonly string[]) => (txn ? this.txnIndex(txn, p) : this.readIndex(p));
    if (parts.length === 0) {
      const root = await get([]);
      return { type: 'dir', mtime: root!.mtime, props: root!.props };
    }
    const parent = await get(parts.slice(0, -1));
    return parent?.children[parts[parts.length - 1]!];
  }

  /** A directory index as `txn` sees it (a private copy over the cached one, loaded once per transaction). */
  async txnIndex(txn: DriveTxn, parts: readonly string[]): Promise<DirIndex | undefined> {
    const key = parts.join('/');
    const hit = txn.indexes.get(key);
    if (hit) return hit.idx;
    const cached = await this.readIndex(parts);
    if (!cached) return undefined;
    const edits = new Map<string, ChildEntry | undefined>();
    const idx: DirIndex = { ...cached, children: overlay(cached.children, edits) };
    txn.indexes.set(key, { parts: [...parts], idx, base: cached, edits });
    return idx;
  }

  /** Apply `txn`'s edited indexes to the cache (they are durable, or covered by a durable intent). */
  private install(txn: DriveTxn, next: DriveMeta): void {
    for (const key of txn.dirty) {
      const t = txn.indexes.get(key)!;
      let idx = t.idx;
      if (t.base && t.edits) {
        const base = t.base;
        for (const [n, e] of t.edits) {
          if (e === undefined) delete base.children[n];
          else base.children[n] = e;
        }
        Object.assign(base, countersOf(t.idx));
        base.name = t.idx.name;
        if (t.idx.props) base.props = t.idx.props;
        else delete base.props;
        idx = base;
      }
      this.cache.set(key, idx);
      this.changed.add(key);
    }
    this.meta = next;
    this.metaChanged = true;
    this.generation++;
  }

  /** What `txn` did to each index, for its journal line. */
  private redoOf(txn: DriveTxn): Record<string, DirRedo> {
    const out: Record<string, DirRedo> = {};
    for (const key of txn.dirty) {
      const t = txn.indexes.get(key)!;
      if (!t.base || !t.edits) {
        out[key] = { full: t.idx };
        continue;
      }
      const r: DirRedo = { c: countersOf(t.idx) };
      if (t.idx.props !== t.base.props) r.props = t.idx.props ?? null;
      for (const [n, e] of t.edits) {
        if (e === undefined) (r.del ??= []).push(n);
        else (r.set ??= {})[n] = e;
      }
      out[key] = r;
    }
    return out;
  }

  /**
   * Make a transaction durable. Its journal line (every index edit, `_meta.json`, small files'
   * bytes) is written with one O_DSYNC write, in the same parallel round as the fdatasync of
   * large uploads' temps; then directories are created, small files written in place, large
   * temps renamed and their directories fsync'd; the edits are applied to the cached indexes.
   * The `_index.json` files wait for the checkpoint. A transaction of a delete/move/copy (its
   * intent already durable) only installs its edits: the caller checkpoints.
   */
  async commit(txn: DriveTxn): Promise<void> {
    if (txn.dirty.size === 0 && txn.renames.length === 0) return;
    const root = (await this.txnIndex(txn, []))!;
    const meta = await this.readMeta();
    const next: DriveMeta = {
      ctag: meta.ctag + 1, sync_token: meta.sync_token + 1,
      total_files: root.total_files, total_dirs: root.total_dirs, total_bytes: root.total_bytes,
    };
    if (txn.intent !== undefined) {
      this.install(txn, next);
      this.reset(txn);
      return;
    }
    const logged = new Map<string, Buffer>();
    const large: StagedFile[] = [];
    const key = (r: StagedFile) => r.key ?? relative(this.files, r.to).split(sep).join('/');
    for (const r of txn.renames) {
      if (r.logged) logged.set(key(r), r.logged);
      else large.push(r);
    }
    try {
      const line = this.journal.redo({ dirs: this.redoOf(txn), meta: next, ...(large.length ? { files: large.map(key) } : {}) }, logged);
      const syncs = large.filter((r) => !r.synced).map((r) => (r.fh ? r.fh.datasync() : syncFile(r.from!)));
      await Promise.all([line, ...syncs]);
      for (const dir of txn.mkdirs) mkdirSync(dir, { recursive: true });
      for (const r of txn.renames) {
        if (!r.from) continue;
        renameSync(r.from, r.to);
        this.pending.delete(r.to);
        this.flushingHeld?.delete(r.to);
      }
      if (large.length) await Promise.all([...new Set([...large.map((r) => dirname(r.to)), ...txn.dirs])].map((d) => fsyncDir(d)));
    } catch (err) {
      await this.recover();
      throw err;
    }
    for (const r of txn.renames) {
      if (!r.logged) continue;
      if (r.from) this.unsynced.add(r.to);
      else {
        this.pending.set(r.to, { data: r.logged, fresh: this.pending.get(r.to)?.fresh ?? r.fresh === true });
        this.flushingHeld?.delete(r.to); // superseded: the running checkpoint must not write it
      }
      this.unsyncedDirs.add(dirname(r.to));
    }
    if (!large.length) for (const d of txn.dirs) this.unsyncedDirs.add(d);
    this.install(txn, next);
    this.dataSince += txn.bytes;
    this.reset(txn);
    this.schedule();
  }

  private reset(txn: DriveTxn): void {
    txn.indexes.clear();
    txn.dirty.clear();
    txn.renames.length = 0;
    txn.dirs.clear();
    txn.mkdirs.length = 0;
    txn.touched.clear();
    txn.bytes = 0;
  }

  /** Plan the next checkpoint: soon when the journal or the unsynced data is large, else after CHECKPOINT_MS. */
  private schedule(): void {
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
  private unhold(): void {
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

  /**
   * Run `fn` (a delete, move or copy: disk changes outside `commit`) on a checkpointed tree,
   * inside a durable journal intent naming `paths`; its indexes are checkpointed right after.
   */
  private async intent<T>(paths: string[], fn: (txn: DriveTxn) => Promise<T>): Promise<T> {
    await this.checkpoint();
    const txn = new DriveTxn();
    for (const p of paths) txn.touched.add(p);
    const id = await this.journal.begin(paths);
    txn.intent = id;
    let out: T;
    try {
      out = await fn(txn);
      await this.commit(txn);
      await this.checkpoint();
    } catch (err) {
      await this.repair(paths);
      throw err;
    }
    return out;
  }

  /** After a failed delete/move/copy (an I/O error mid-way): recompute the touched indexes from the files. */
  private async repair(paths: Iterable<string>): Promise<void> {
    this.forgetCache();
    this.changed.clear();
    this.metaChanged = false;
    try {
      await rollForward(this.files, this.metaFile, paths);
      await this.journal.clear();
    } catch {
      /* left to the next open: the intent stays unfinished in the journal */
    }
    this.forgetCache();
  }

  /**
   * After a failed commit, or when another process rewrote the drive under in-memory changes:
   * replay the journal over the disk (what was durable is kept, the rest was never acknowledged)
   * and reload from the result.
   */
  private async recover(): Promise<void> {
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
  async init(create = true): Promise<void> {
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
  async locked<T>(fn: () => Promise<T>): Promise<T> {
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

  /**
   * Load the indexes from the root down to `dirParts`, let `edit` change the leaf (returning the
   * change of recursive totals), apply it leaf to root, and write them with `_meta.json` —
   * at once, or staged in `txn` for a later `commit`.
   */
  async update(dirParts: readonly string[], edit: (leaf: DirIndex) => Delta | Promise<Delta>, txn?: DriveTxn): Promise<DirIndex> {
    const own = txn === undefined;
    const t = txn ?? new DriveTxn();
    const chain: DirIndex[] = [];
    for (let i = 0; i <= dirParts.length; i++) {
      const idx = await this.txnIndex(t, dirParts.slice(0, i));
      if (!idx) throw new ConflictError('Parent directory does not exist');
      chain.push(idx);
    }
    const leaf = chain[chain.length - 1]!;
    const delta = await edit(leaf);
    const stamp = now();
    leaf.mtime = stamp;
    for (let i = chain.length - 1; i >= 0; i--) {
      const idx = chain[i]!;
      idx.ctag += 1;
      idx.total_files += delta.files;
      idx.total_dirs += delta.dirs;
      idx.total_bytes += delta.bytes;
      if (i === chain.length - 2) {
        const name = dirParts[i]!;
        const child = idx.children[name];
        if (child) idx.children[name] = { ...child, mtime: stamp };
      }
      t.dirty.add(dirParts.slice(0, i).join('/'));
    }
    if (own) await this.commit(t);
    return leaf;
  }

  /**
   * Create directory `parts` (missing parents too when `parents`); false when it already exists.
   * The new directories' indexes are written bottom-up, then one leaf-to-root update of the
   * deepest existing ancestor: O(depth) writes however many levels are created.
   */
  async mkdir(parts: readonly string[], parents: boolean, txn?: DriveTxn): Promise<boolean> {
    const own = txn === undefined;
    const tx = txn ?? new DriveTxn();
    const existing = await this.stat(parts, tx);
    if (existing?.type === 'dir') return false;
    if (existing) throw new ConflictError('A file exists at that path');
    let k = parts.length - 1;
    for (; k > 0; k--) {
      const e = await this.stat(parts.slice(0, k), tx);
      if (e?.type === 'dir') break;
      if (e) throw new ConflictError('A parent path is a file');
    }
    if (!parents && k < parts.length - 1) throw new ConflictError('Parent directory does not exist');
    const t = now();
    tx.touched.add(parts.slice(0, k + 1).join('/'));
    for (let i = k + 1; i <= parts.length; i++) {
      const dir = this.path(parts.slice(0, i));
      tx.mkdirs.push(dir);
      tx.dirs.add(dirname(dir));
      const idx = emptyIndex(parts[i - 1]!, t);
      if (i < parts.length) {
        idx.children[parts[i]!] = { type: 'dir', mtime: t };
        idx.self_dirs = 1;
        idx.total_dirs = parts.length - i;
      }
      const key = parts.slice(0, i).join('/');
      tx.indexes.set(key, { parts: parts.slice(0, i), idx });
      tx.dirty.add(key);
    }
    await this.update(parts.slice(0, k), (leaf) => {
      leaf.children[parts[k]!] = { type: 'dir', mtime: t };
      leaf.self_dirs += 1;
      return { files: 0, dirs: parts.length - k, bytes: 0 };
    }, tx);
    if (own) await this.commit(tx);
    return true;
  }

  /**
   * Move the finished upload `tmp` to `parts` (creating parents when `parents`) and index it;
   * `fh`, when given, is the still-open temp (synced through it at commit); `logged`, for a small
   * file, its whole content, which the commit logs in the journal intent instead of syncing the
   * file. Returns whether the file is new.
   */
  async commitFile(parts: readonly string[], tmp: string | undefined, meta: { size: number; etag: string; content_type: string }, parents: boolean, txn?: DriveTxn, fh?: fsp.FileHandle, logged?: Buffer): Promise<boolean> {
    const own = txn === undefined;
    const tx = txn ?? new DriveTxn();
    const parentParts = parts.slice(0, -1);
    const name = parts[parts.length - 1]!;
    const parent = await this.stat(parentParts, tx);
    if (parent?.type === 'file') throw new ConflictError('A parent path is a file');
    if (!parent) {
      if (!parents) throw new ConflictError('Parent directory does not exist');
      await this.mkdir(parentParts, true, tx);
    }
    let created = true;
    await this.update(parentParts, (leaf) => {
      const old = leaf.children[name];
      if (old?.type === 'dir') throw new HttpError(405, 'A directory exists at that path');
      created = !old;
      tx.renames.push({ from: tmp || undefined, to: this.path(parts), key: parts.join('/'), synced: false, fh, logged, fresh: !old });
      tx.touched.add(parts.join('/'));
      tx.bytes += meta.size;
      leaf.children[name] = { type: 'file', size: meta.size, etag: meta.etag, mtime: now(), content_type: meta.content_type, ...(old?.props ? { props: old.props } : {}) };
      leaf.self_files += old ? 0 : 1;
      leaf.self_bytes += meta.size - (old?.size ?? 0);
      return { files: old ? 0 : 1, dirs: 0, bytes: meta.size - (old?.size ?? 0) };
    }, tx);
    if (own) await this.commit(tx);
    return created;
  }

  /** Delete a file or (recursively) a directory; NotFoundError when absent. */
  async remove(parts: readonly string[]): Promise<ChildEntry> {
    if (parts.length === 0) throw new HttpError(403, 'The drive root cannot be deleted');
    const entry = await this.stat(parts);
    if (!entry) throw new NotFoundError('Not found');
    const totals = await entryTotals(this, [...parts], entry);
    const name = parts[parts.length - 1]!;
    const target = this.path(parts);
    await this.intent([parts.join('/')], async (txn) => {
      if (entry.type === 'dir') {
        const trash = join(this.drive, `.trash-${randomBytes(8).toString('hex')}.tmp`);
        await fsp.rename(target, trash);
        this.dropCached(parts);
        await fsyncDir(dirname(target));
        await fsp.rm(trash, { recursive: true, force: true });
      } else {
        await fsp.rm(target, { force: true });
        await fsyncDir(dirname(target));
      }
      await this.update(parts.slice(0, -1), (leaf) => {
        if (entry.type === 'dir') leaf.self_dirs -= 1;
        else {
          leaf.self_files -= 1;
          leaf.self_bytes -= entry.size;
        }
        delete leaf.children[name];
        return { files: -totals.files, dirs: -totals.dirs, bytes: -totals.bytes };
      }, txn);
    });
    return entry;
  }

  /**
   * Rename `src` to `dst` (the destination parent must exist). `dst` must not exist, except that a
   * file may replace a file: one rename(2) swaps it atomically, so a crash shows the old or the new.
   */
  async move(src: readonly string[], dst: readonly string[]): Promise<void> {
    const entry = await this.stat(src);
    if (!entry) throw new NotFoundError('Not found');
    const totals = await entryTotals(this, [...src], entry);
    const dstParent = await this.stat(dst.slice(0, -1));
    if (dstParent?.type !== 'dir') throw new ConflictError('Destination parent directory does not exist');
    const replaced = await this.stat(dst);
    if (replaced && !(replaced.type === 'file' && entry.type === 'file')) throw new ConflictError('Destination exists');
    const srcName = src[src.length - 1]!;
    const dstName = dst[dst.length - 1]!;
    await this.intent([src.join('/'), dst.join('/')], async (txn) => {
      const own = entry.type === 'dir' ? await this.readIndex(src) : undefined;
      await fsp.rename(this.path(src), this.path(dst));
      this.dropCached(src);
      this.dropCached(dst);
      await fsyncDir(dirname(this.path(src)));
      await fsyncDir(dirname(this.path(dst)));
      if (own) {
        txn.indexes.set(dst.join('/'), { parts: [...dst], idx: { ...own, name: dstName, children: { ...own.children } } });
        txn.dirty.add(dst.join('/'));
      }
      await this.update(src.slice(0, -1), (leaf) => {
        delete leaf.children[srcName];
        if (entry.type === 'dir') leaf.self_dirs -= 1;
        else {
          leaf.self_files -= 1;
          leaf.self_bytes -= entry.size;
        }
        return { files: -totals.files, dirs: -totals.dirs, bytes: -totals.bytes };
      }, txn);
      await this.update(dst.slice(0, -1), (leaf) => placeEntry(leaf, dstName, entry, entry.mtime, totals, replaced), txn);
    });
  }

  /**
   * Copy `src` to `dst` (a directory recursively unless `shallow`). The destination must not
   * exist, except that a file may replace a file (copied to a temp, then one atomic rename).
   */
  async copy(src: readonly string[], dst: readonly string[], shallow: boolean): Promise<void> {
    const entry = await this.stat(src);
    if (!entry) throw new NotFoundError('Not found');
    const dstParent = await this.stat(dst.slice(0, -1));
    if (dstParent?.type !== 'dir') throw new ConflictError('Destination parent directory does not exist');
    const replaced = await this.stat(dst);
    if (replaced && !(replaced.type === 'file' && entry.type === 'file')) throw new ConflictError('Destination exists');
    const dstName = dst[dst.length - 1]!;
    await this.intent([dst.join('/')], async (txn) => {
      let totals: Delta;
      this.dropCached(dst);
      if (entry.type === 'file') {
        await copyFileDurable(this.path(src), this.path(dst));
        totals = { files: 1, dirs: 0, bytes: entry.size };
      } else {
        totals = await this.copyTree(src, dst, dstName, shallow);
      }
      await this.update(dst.slice(0, -1), (leaf) => placeEntry(leaf, dstName, entry, now(), totals, replaced), txn);
    });
  }

  /** Forget cached indexes at and under `parts` (their directory moved or went away). */
  private dropCached(parts: readonly string[]): void {
    const key = parts.join('/');
    for (const k of this.cache.keys()) {
      if (k === key || k.startsWith(`${key}/`)) {
        this.cache.delete(k);
        this.changed.delete(k);
      }
    }
    this.generation++;
  }

  private async copyTree(src: readonly string[], dst: readonly string[], name: string, shallow: boolean): Promise<Delta> {
    const idx = (await this.readIndex(src)) ?? emptyIndex(name);
    const dir = this.path(dst);
    await fsp.mkdir(dir);
    const out: DirIndex = shallow
      ? { ...emptyIndex(name), props: idx.props }
      : { ...idx, name, ctag: 1, mtime: now(), children: {} };
    if (!shallow) {
      for (const [child, e] of Object.entries(idx.children)) {
        if (e.type === 'file') await copyFileDurable(this.path([...src, child]), this.path([...dst, child]));
        else await this.copyTree([...src, child], [...dst, child], child, false);
        out.children[child] = { ...e };
      }
    }
    await writeJsonDurable(join(dir, INDEX), out);
    await fsyncDir(dirname(dir));
    return { files: out.total_files, dirs: out.total_dirs + 1, bytes: out.total_bytes };
  }

  /** Set and remove dead properties of the entry at `parts`. */
  async setProps(parts: readonly string[], set: Record<string, string>, remove: string[]): Promise<void> {
    const apply = <T extends { props?: Record<string, string> }>(target: T): T => {
      const props = { ...(target.props ?? {}) };
      for (const k of remove) delete props[k];
      Object.assign(props, set);
      const { props: _old, ...rest } = target;
      return (Object.keys(props).length ? { ...rest, props } : rest) as T;
    };
    const txn = new DriveTxn();
    txn.touched.add(parts.join('/'));
    if (parts.length === 0) {
      await this.update([], (leaf) => {
        const next = apply(leaf);
        if (next.props) leaf.props = next.props;
        else delete leaf.props;
        return { files: 0, dirs: 0, bytes: 0 };
      }, txn);
    } else {
      const name = parts[parts.length - 1]!;
      await this.update(parts.slice(0, -1), (leaf) => {
        const e = leaf.children[name];
        if (!e) throw new NotFoundError('Not found');
        leaf.children[name] = apply(e);
        return { files: 0, dirs: 0, bytes: 0 };
      }, txn);
    }
    await this.commit(txn);
  }

  /** Drop this handle as a kill -9 would: no checkpoint, files closed (crash tests). */
  async abandon(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flushing?.catch(() => undefined);
    this.timer = undefined;
    await this.turn;
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
    await this.journal.close(clean);
    await this.lock.close();
  }
}

/** Copy a file to `dst` through a temp name, fsync'd, renamed into place. */
/**
 * Enter a moved or copied `entry` as `name` in its new parent's index (over the file it replaced,
 * if any); answers the delta for the ancestors.
 */
function placeEntry(leaf: DirIndex, name: string, entry: ChildEntry, mtime: number, totals: Delta, replaced: { size: number } | undefined): Delta {
  leaf.children[name] = { ...entry, mtime };
  if (entry.type === 'dir') leaf.self_dirs += 1;
  else {
    leaf.self_files += replaced ? 0 : 1;
    leaf.self_bytes += entry.size - (replaced?.size ?? 0);
  }
  return replaced ? { files: 0, dirs: 0, bytes: totals.bytes - replaced.size } : totals;
}

async function copyFileDurable(src: string, dst: string): Promise<void> {
  const tmp = join(dirname(dst), `.copy-${randomBytes(6).toString('hex')}.tmp`);
  await fsp.copyFile(src, tmp);
  const fh = await fsp.open(tmp, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, dst);
  await fsyncDir(dirname(dst));
}
