/**
 * One user's drive on disk (reference.md "Drive" storage layout): `drive/_meta.json` and
 * `drive/files/` where every directory holds `_index.json` with self counters (this level) and
 * total counters (recursive). Every change updates the indexes from the leaf up to the root and
 * then `_meta.json`, so any directory's totals are an O(1) read.
 *
 * Durability (DESIGN.md): an upload, mkdir or PROPPATCH is acknowledged once ONE line of the
 * drive's journal (journal-file.ts, one O_DSYNC write per group commit) holds the change
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
 * on one disk worker thread, disk-worker.ts), and the file that covered them is emptied last.
 * Opening the drive replays both files, older first, over the checkpointed files
 * (replay.ts replayJournal), so after a crash every file and index matches what was
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
 *
 * The store is five layers, each a class extending the one before it (one job per file):
 * index-cache.ts (the drive's place, its parsed indexes and reads), commit.ts (transactions:
 * leaf-to-root updates, the journal line, install), checkpoint.ts (writing and syncing what is
 * ahead of the disk, emptying the journal), lifecycle.ts (open, the lock turn, recovery, close),
 * and this file, the operations (mkdir, commitFile, remove, move, copy, setProps).
 */
import { promises as fsp } from 'node:fs';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonDurable, fsyncDir } from '../atomic.js';
import { ConflictError, NotFoundError, HttpError } from '../../common/errors.js';
import { DriveTxn } from './txn.js';
import { rollForward } from './reconcile.js';
import { INDEX, now, emptyIndex, type ChildEntry, type DirIndex, type Delta } from './types.js';
import { DriveLifecycle } from './lifecycle.js';

/** The recursive totals an entry contributes to its ancestors. */
export async function entryTotals(store: DriveStore, parts: string[], entry: ChildEntry): Promise<Delta> {
  if (entry.type === 'file') return { files: 1, dirs: 0, bytes: entry.size };
  const idx = await store.readIndex(parts);
  return { files: idx?.total_files ?? 0, dirs: (idx?.total_dirs ?? 0) + 1, bytes: idx?.total_bytes ?? 0 };
}

/** Reads and durable writes of one user's drive. */
export class DriveStore extends DriveLifecycle {
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
}

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

/** Copy a file to `dst` through a temp name, fsync'd, renamed into place. */
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
