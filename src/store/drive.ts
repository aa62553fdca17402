/**
 * One user's drive on disk (reference.md "Drive" storage layout): `drive/_meta.json` and
 * `drive/files/` where every directory holds `_index.json` with self counters (this level) and
 * total counters (recursive). Every write updates the indexes from the leaf up to the root and
 * then `_meta.json`, so any directory's totals are an O(1) read.
 *
 * Invariants: callers pass components already validated by DrivePath; every index and file is
 * written temp + fsync + rename + dir fsync; writers hold the user's actor (and `_index.lock`).
 * Uploads are streamed to `drive/.upload-*.tmp` (outside `files/`), so an aborted upload never
 * shows in the tree.
 */
import { promises as fsp } from 'node:fs';
import { join, dirname, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonDurable, readJson, fsyncDir, FileLock, tempPath } from './atomic.js';
import { driveDir, driveFilesDir, driveMetaFile, driveIndexLock } from './layout.js';
import { ConflictError, NotFoundError, HttpError } from '../common/errors.js';

/** A file's entry in its directory's `_index.json`. */
export interface FileEntry {
  type: 'file';
  size: number;
  etag: string;
  mtime: number;
  content_type: string;
  /** WebDAV dead properties: `{ns}name` -> XML value fragment. */
  props?: Record<string, string>;
}

/** A sub-directory's entry in its parent's `_index.json`. */
export interface DirEntry {
  type: 'dir';
  mtime: number;
  props?: Record<string, string>;
}

/** One child entry. */
export type ChildEntry = FileEntry | DirEntry;

/** A directory's change counter, mtime and its self (one level) and total (recursive) counters. */
export interface DirCounters {
  ctag: number;
  mtime: number;
  self_files: number;
  self_dirs: number;
  self_bytes: number;
  total_files: number;
  total_dirs: number;
  total_bytes: number;
}

/** `_index.json` of one directory. */
export interface DirIndex extends DirCounters {
  version: 1;
  name: string;
  children: Record<string, ChildEntry>;
  /** Dead properties of the drive root (other directories keep theirs in the parent's entry). */
  props?: Record<string, string>;
}

/** `drive/_meta.json`. */
export interface DriveMeta {
  ctag: number;
  sync_token: number;
  total_files: number;
  total_dirs: number;
  total_bytes: number;
}

/** A change of recursive totals. */
export interface Delta {
  files: number;
  dirs: number;
  bytes: number;
}

const INDEX = '_index.json';
const now = (): number => Math.round(Date.now() * 10) / 10000;

/** A fresh, empty directory index. */
export const emptyIndex = (name: string, mtime = now()): DirIndex => ({
  version: 1, name, ctag: 1, mtime,
  self_files: 0, self_dirs: 0, self_bytes: 0, total_files: 0, total_dirs: 0, total_bytes: 0, children: {},
});

/** The recursive totals an entry contributes to its ancestors. */
export async function entryTotals(store: DriveStore, parts: string[], entry: ChildEntry): Promise<Delta> {
  if (entry.type === 'file') return { files: 1, dirs: 0, bytes: entry.size };
  const idx = await store.readIndex(parts);
  return { files: idx?.total_files ?? 0, dirs: (idx?.total_dirs ?? 0) + 1, bytes: idx?.total_bytes ?? 0 };
}

/**
 * Index edits and file renames staged by one or more operations and made durable together
 * (group commit): every temp file is synced in parallel, renamed into place, then each touched
 * directory is fsync'd once. A batch of uploads in one actor turn shares those syncs.
 */
export class DriveTxn {
  /** Loaded (and possibly edited) indexes by `a/b` key. */
  readonly indexes = new Map<string, { parts: string[]; idx: DirIndex }>();
  /** Keys of indexes to write. */
  readonly dirty = new Set<string>();
  /** Temp files to rename into place (data files), in order; unsynced ones are synced at commit. */
  readonly renames: { from: string; to: string; synced?: boolean }[] = [];
  /** Extra directories to fsync (parents of created directories). */
  readonly dirs = new Set<string>();
}

/** Write `data` to a new file and fdatasync it (no rename). */
async function writeSynced(path: string, data: string): Promise<void> {
  const fh = await fsp.open(path, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** fdatasync an existing file. */
async function syncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r+');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Reads and durable writes of one user's drive. */
export class DriveStore {
  readonly drive: string;
  readonly files: string;
  readonly metaFile: string;
  private readonly lock: FileLock;
  private ready = false;

  constructor(root: string, domain: string, user: string) {
    this.drive = driveDir(root, domain, user);
    this.files = driveFilesDir(root, domain, user);
    this.metaFile = driveMetaFile(root, domain, user);
    this.lock = new FileLock(driveIndexLock(root, domain, user));
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

  /** Read a directory's index (`undefined` when the directory does not exist). */
  async readIndex(parts: readonly string[]): Promise<DirIndex | undefined> {
    const idx = await readJson<DirIndex>(join(this.path(parts), INDEX)).catch((err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!idx && parts.length === 0) return emptyIndex('');
    return idx;
  }

  /** The drive's `_meta.json` (zeros before the first write). */
  async readMeta(): Promise<DriveMeta> {
    return (await readJson<DriveMeta>(this.metaFile)) ?? { ctag: 0, sync_token: 0, total_files: 0, total_dirs: 0, total_bytes: 0 };
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

  /** A directory index as `txn` sees it (loaded once per transaction). */
  async txnIndex(txn: DriveTxn, parts: readonly string[]): Promise<DirIndex | undefined> {
    const key = parts.join('/');
    const hit = txn.indexes.get(key);
    if (hit) return hit.idx;
    const idx = await this.readIndex(parts);
    if (idx) txn.indexes.set(key, { parts: [...parts], idx });
    return idx;
  }

  /** Make a transaction durable: sync temps in parallel, rename, fsync each touched directory once. */
  async commit(txn: DriveTxn): Promise<void> {
    if (txn.dirty.size === 0 && txn.renames.length === 0) return;
    const root = (await this.txnIndex(txn, []))!;
    const meta = await this.readMeta();
    const writes = [...txn.dirty].map((key) => {
      const { parts, idx } = txn.indexes.get(key)!;
      return { depth: parts.length, to: join(this.path(parts), INDEX), data: JSON.stringify(idx, null, 1) + '\n' };
    }).sort((a, b) => b.depth - a.depth);
    const next: DriveMeta = {
      ctag: meta.ctag + 1, sync_token: meta.sync_token + 1,
      total_files: root.total_files, total_dirs: root.total_dirs, total_bytes: root.total_bytes,
    };
    writes.push({ depth: -1, to: this.metaFile, data: JSON.stringify(next, null, 1) + '\n' });
    const temps = writes.map((w) => ({ tmp: tempPath(w.to), to: w.to, data: w.data }));
    try {
      // Data temps staged unsynced (`synced: false`) are fdatasync'd in the same parallel round.
      await Promise.all([
        ...temps.map((t) => writeSynced(t.tmp, t.data)),
        ...txn.renames.filter((r) => !r.synced).map((r) => syncFile(r.from)),
      ]);
      for (const r of txn.renames) await fsp.rename(r.from, r.to);
      for (const t of temps) await fsp.rename(t.tmp, t.to);
    } catch (err) {
      await Promise.all(temps.map((t) => fsp.rm(t.tmp, { force: true })));
      throw err;
    }
    const dirs = new Set([...txn.renames.map((r) => dirname(r.to)), ...temps.map((t) => dirname(t.to)), ...txn.dirs]);
    await Promise.all([...dirs].map((d) => fsyncDir(d)));
    txn.dirty.clear();
    txn.renames.length = 0;
    txn.dirs.clear();
  }

  /** Create `drive/files/` with its root index and `_meta.json` if missing. */
  async init(): Promise<void> {
    if (this.ready) return;
    await fsp.mkdir(this.files, { recursive: true });
    if ((await readJson(join(this.files, INDEX))) === undefined) {
      await writeJsonDurable(join(this.files, INDEX), emptyIndex(''));
      await fsyncDir(dirname(this.files));
    }
    if ((await readJson(this.metaFile)) === undefined) await writeJsonDurable(this.metaFile, await this.readMeta());
    this.ready = true;
  }

  /** Run one index mutation holding `drive/files/_index.lock`. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.init();
    await this.lock.acquire();
    try {
      return await fn();
    } finally {
      this.lock.release();
    }
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
        const child = idx.children[dirParts[i]!];
        if (child) child.mtime = stamp;
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
    for (let i = k + 1; i <= parts.length; i++) {
      const dir = this.path(parts.slice(0, i));
      await fsp.mkdir(dir, { recursive: true });
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
   * Move the finished upload `tmp` to `parts` (creating parents when `parents`) and index it.
   * Returns whether the file is new.
   */
  async commitFile(parts: readonly string[], tmp: string, meta: { size: number; etag: string; content_type: string }, parents: boolean, txn?: DriveTxn): Promise<boolean> {
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
      tx.renames.push({ from: tmp, to: this.path(parts), synced: false });
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
    await this.update(parts.slice(0, -1), async (leaf) => {
      if (entry.type === 'dir') {
        const trash = join(this.drive, `.trash-${randomBytes(8).toString('hex')}.tmp`);
        await fsp.rename(target, trash);
        await fsyncDir(dirname(target));
        await fsp.rm(trash, { recursive: true, force: true });
        leaf.self_dirs -= 1;
      } else {
        await fsp.rm(target, { force: true });
        await fsyncDir(dirname(target));
        leaf.self_files -= 1;
        leaf.self_bytes -= entry.size;
      }
      delete leaf.children[name];
      return { files: -totals.files, dirs: -totals.dirs, bytes: -totals.bytes };
    });
    return entry;
  }

  /** Rename `src` to `dst` (the destination parent must exist and `dst` must not). */
  async move(src: readonly string[], dst: readonly string[]): Promise<void> {
    const entry = await this.stat(src);
    if (!entry) throw new NotFoundError('Not found');
    const totals = await entryTotals(this, [...src], entry);
    const dstParent = await this.stat(dst.slice(0, -1));
    if (dstParent?.type !== 'dir') throw new ConflictError('Destination parent directory does not exist');
    const srcName = src[src.length - 1]!;
    const dstName = dst[dst.length - 1]!;
    await fsp.rename(this.path(src), this.path(dst));
    await fsyncDir(dirname(this.path(src)));
    await fsyncDir(dirname(this.path(dst)));
    if (entry.type === 'dir') {
      const own = await this.readIndex(dst);
      if (own) {
        own.name = dstName;
        await writeJsonDurable(join(this.path(dst), INDEX), own);
      }
    }
    await this.update(src.slice(0, -1), (leaf) => {
      delete leaf.children[srcName];
      if (entry.type === 'dir') leaf.self_dirs -= 1;
      else {
        leaf.self_files -= 1;
        leaf.self_bytes -= entry.size;
      }
      return { files: -totals.files, dirs: -totals.dirs, bytes: -totals.bytes };
    });
    await this.update(dst.slice(0, -1), (leaf) => {
      leaf.children[dstName] = { ...entry, mtime: entry.mtime };
      if (entry.type === 'dir') leaf.self_dirs += 1;
      else {
        leaf.self_files += 1;
        leaf.self_bytes += entry.size;
      }
      return totals;
    });
  }

  /** Copy `src` to `dst` (a directory recursively unless `shallow`); the destination must not exist. */
  async copy(src: readonly string[], dst: readonly string[], shallow: boolean): Promise<void> {
    const entry = await this.stat(src);
    if (!entry) throw new NotFoundError('Not found');
    const dstParent = await this.stat(dst.slice(0, -1));
    if (dstParent?.type !== 'dir') throw new ConflictError('Destination parent directory does not exist');
    const dstName = dst[dst.length - 1]!;
    let totals: Delta;
    if (entry.type === 'file') {
      await copyFileDurable(this.path(src), this.path(dst));
      totals = { files: 1, dirs: 0, bytes: entry.size };
    } else {
      totals = await this.copyTree(src, dst, dstName, shallow);
    }
    await this.update(dst.slice(0, -1), (leaf) => {
      leaf.children[dstName] = { ...entry, mtime: now() };
      if (entry.type === 'dir') leaf.self_dirs += 1;
      else {
        leaf.self_files += 1;
        leaf.self_bytes += entry.size;
      }
      return totals;
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
    const apply = (target: { props?: Record<string, string> }) => {
      const props = { ...(target.props ?? {}) };
      for (const k of remove) delete props[k];
      Object.assign(props, set);
      if (Object.keys(props).length) target.props = props;
      else delete target.props;
    };
    if (parts.length === 0) {
      await this.update([], (leaf) => {
        apply(leaf);
        return { files: 0, dirs: 0, bytes: 0 };
      });
      return;
    }
    const name = parts[parts.length - 1]!;
    await this.update(parts.slice(0, -1), (leaf) => {
      const e = leaf.children[name];
      if (!e) throw new NotFoundError('Not found');
      apply(e);
      return { files: 0, dirs: 0, bytes: 0 };
    });
  }

  /** Close the lock file. */
  async close(): Promise<void> {
    await this.lock.close();
  }
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

/** Totals of a fresh walk of the tree (ignores `_*` and `*.tmp`), for checks and rebuilds. */
export async function walkTotals(dir: string): Promise<{ files: number; dirs: number; bytes: number }> {
  const out = { files: 0, dirs: 0, bytes: 0 };
  for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
    if (d.name.startsWith('_') || d.name.endsWith('.tmp')) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      const sub = await walkTotals(p);
      out.files += sub.files;
      out.dirs += sub.dirs + 1;
      out.bytes += sub.bytes;
    } else {
      out.files += 1;
      out.bytes += (await fsp.stat(p)).size;
    }
  }
  return out;
}
