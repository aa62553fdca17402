/**
 * The drive store's transaction layer (store.ts has the design): `update` applies one edit to a
 * directory's index and the totals of every ancestor, leaf to root; `commit` makes a transaction
 * durable with one journal line (in the same round as the fdatasync of large uploads), puts its
 * files in place and applies its edits to the cached indexes. The `_index.json` files wait for
 * the checkpoint (checkpoint.ts).
 *
 * Invariants: no edit reaches the cache before its journal line (or its intent) is durable; a
 * failed commit replays the journal (`recover`) and rethrows.
 */
import { renameSync, mkdirSync } from 'node:fs';
import { dirname, sep, relative } from 'node:path';
import { fsyncDir } from '../atomic.js';
import { ConflictError } from '../../common/errors.js';
import { DriveTxn, countersOf, type StagedFile } from './txn.js';
import { syncFile } from './disk.js';
import type { DirRedo } from './journal-file.js';
import { now, type DirIndex, type DriveMeta, type Delta } from './types.js';
import { DriveIndexCache } from './index-cache.js';

/** Transactions of a drive: leaf-to-root updates and their durable commit (the second layer of DriveStore). */
export abstract class DriveCommits extends DriveIndexCache {
  /** Files and directories written since the last checkpoint, not yet fsync'd. */
  protected unsynced = new Set<string>();
  protected unsyncedDirs = new Set<string>();
  /** Data bytes committed since the last checkpoint. */
  protected dataSince = 0;

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

  /** Replay the journal over the disk and reload (lifecycle.ts). */
  protected abstract recover(): Promise<void>;

  /** Plan the next checkpoint (checkpoint.ts). */
  protected abstract schedule(): void;
}
