/**
 * One user's drive on disk (reference.md "Drive" storage layout): `drive/_meta.json` and
 * `drive/files/` where every directory holds `_index.json` with self counters (this level) and
 * total counters (recursive). Every write updates the indexes from the leaf up to the root and
 * then `_meta.json`, so any directory's totals are an O(1) read.
 *
 * Invariants: callers pass components already validated by DrivePath; every index and file is
 * written temp + fsync + rename + dir fsync; writers hold the user's actor (and `_index.lock`).
 * Uploads are streamed to `drive/.upload-*.tmp` (outside `files/`), so an aborted upload never
 * shows in the tree. Every change first makes an intent durable in `drive/_journal.log`
 * (drive-journal.ts), naming the paths it touches: a crash between a file rename and its index
 * writes is rolled forward when the drive is next opened, so the totals always equal a walk of
 * the files. A large data file and the directory it lands in are fsync'd before the reply; a
 * small one (up to 64 KB) is logged whole in the intent instead, and restored from it on open
 * if it did not reach the disk. The `_index.json` files and `_meta.json` are written (temp +
 * rename, so always whole and current for every reader) but fsync'd — with the small data
 * files — only at a checkpoint (1 MB of journal, 256 MB of data, close, or after a recovery),
 * after which the journal is emptied: until then the journal covers them.
 *
 * Parsed indexes are cached; the cache is trusted while `_meta.json` (rewritten by every
 * writer, in any process) keeps the identity we last saw. Cached objects are never edited in
 * place: a transaction edits shallow copies and installs them once durable.
 */
import { promises as fsp, openSync, writeSync, fstatSync, closeSync, statSync, renameSync, rmSync } from 'node:fs';
import { join, dirname, sep, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonDurable, readJson, fsyncDir, FileLock, tempPath } from './atomic.js';
import { driveDir, driveFilesDir, driveMetaFile, driveIndexLock } from './layout.js';
import { DriveJournal, rollForward, rebuildTree, replayUploads } from './drive-journal.js';
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
  /** Loaded (and possibly edited) indexes by `a/b` key (copies of the cached ones). */
  readonly indexes = new Map<string, { parts: string[]; idx: DirIndex }>();
  /** Keys of indexes to write. */
  readonly dirty = new Set<string>();
  /** Temp files to rename into place (data files), in order; unsynced ones are synced at commit. */
  readonly renames: { from: string; to: string; synced?: boolean; fh?: fsp.FileHandle; logged?: Buffer }[] = [];
  /** Extra directories to fsync (parents of created directories). */
  readonly dirs = new Set<string>();
  /** Directories to create at commit, after the intent is durable (parents first). */
  readonly mkdirs: string[] = [];
  /** Drive paths (`a/b`) whose entries this transaction changes: the journal intent. */
  readonly touched = new Set<string>();
  /** The journal intent already begun for this transaction (remove, move, copy). */
  intent?: number;
  /** Only dead properties change (no file is created, moved or removed). */
  propsOnly = false;
  /** Data bytes this transaction renames into place. */
  bytes = 0;
}

/** The identity of a file's current version (changes with every rename over it). */
const sigOf = (st: { ino: bigint; mtimeNs: bigint; size: bigint }): string => `${st.ino}:${st.mtimeNs}:${st.size}`;

/** Most parsed indexes kept per drive (the cache is dropped whole past this). */
const CACHE_MAX = 4096;
/** Journal bytes past which a checkpoint syncs the indexes and empties it. */
const JOURNAL_MAX = 1024 * 1024;
/** Data bytes written past which a checkpoint runs (bounds what a recovery rehashes). */
const DATA_MAX = 256 * 1024 * 1024;

/**
 * Write `data` to a new file, not synced (a checkpoint syncs it); returns its identity (see
 * sigOf). Synchronous on purpose: a page-cache write of one index is cheaper than the promise
 * and thread-pool round trips of the async API, and it never waits for the disk.
 */
function writeTemp(path: string, data: string): string {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, data);
    return sigOf(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
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

/** fsync a file or directory that may have gone away since (a removed directory needs nothing). */
async function syncIfThere(path: string, dir: boolean): Promise<void> {
  try {
    await (dir ? fsyncDir(path) : syncFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
}

/** Reads and durable writes of one user's drive. */
export class DriveStore {
  readonly drive: string;
  readonly files: string;
  readonly metaFile: string;
  private readonly lock: FileLock;
  private readonly journal: DriveJournal;
  private opening?: Promise<void>;
  /** Parsed indexes by `a/b` key and `_meta.json`, valid while `_meta.json` has identity `metaSig`. */
  private readonly cache = new Map<string, DirIndex>();
  private meta?: DriveMeta;
  private metaSig = '';
  /** Bumped whenever the cache changes: a read that started earlier must not fill it. */
  private generation = 0;
  /** Index and meta files (and their directories) written since the last checkpoint, not yet fsync'd. */
  private readonly unsynced = new Set<string>();
  private readonly unsyncedDirs = new Set<string>();
  /** Data bytes committed since the last checkpoint. */
  private dataSince = 0;
  /** In-process turn of `locked` (flock alone does not exclude holders in the same process). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(root: string, domain: string, user: string) {
    this.drive = driveDir(root, domain, user);
    this.files = driveFilesDir(root, domain, user);
    this.metaFile = driveMetaFile(root, domain, user);
    this.lock = new FileLock(driveIndexLock(root, domain, user));
    this.journal = new DriveJournal(join(this.drive, '_journal.log'));
  }

  /** Drop the cache when `_meta.json` was replaced by someone else (one stat; sync: it never waits for the disk). */
  private fresh(): void {
    let sig = '';
    try {
      sig = sigOf(statSync(this.metaFile, { bigint: true }));
    } catch {
      /* no _meta.json yet */
    }
    if (sig !== this.metaSig) this.forgetCache(sig);
  }

  private forgetCache(sig = ''): void {
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
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
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

  /** A directory index as `txn` sees it (a private copy, loaded once per transaction). */
  async txnIndex(txn: DriveTxn, parts: readonly string[]): Promise<DirIndex | undefined> {
    const key = parts.join('/');
    const hit = txn.indexes.get(key);
    if (hit) return hit.idx;
    const cached = await this.readIndex(parts);
    if (!cached) return undefined;
    const idx: DirIndex = { ...cached, children: { ...cached.children } };
    txn.indexes.set(key, { parts: [...parts], idx });
    return idx;
  }

  /**
   * Make a transaction durable. The journal intent (naming every touched path) is synced first,
   * or in the same parallel round as the data files when no directory has to be created; then
   * data and index temps are renamed into place and each directory that received a data file
   * (or a new directory) is fsync'd once. The indexes are left to the next checkpoint; the
   * edited copies replace the cached ones.
   */
  async commit(txn: DriveTxn): Promise<void> {
    if (txn.dirty.size === 0 && txn.renames.length === 0) return;
    const root = (await this.txnIndex(txn, []))!;
    const meta = await this.readMeta();
    const writes = [...txn.dirty].map((key) => {
      const { parts, idx } = txn.indexes.get(key)!;
      return { key, depth: parts.length, to: join(this.path(parts), INDEX), data: JSON.stringify(idx) + '\n' };
    }).sort((a, b) => b.depth - a.depth);
    const next: DriveMeta = {
      ctag: meta.ctag + 1, sync_token: meta.sync_token + 1,
      total_files: root.total_files, total_dirs: root.total_dirs, total_bytes: root.total_bytes,
    };
    writes.push({ key: '', depth: -1, to: this.metaFile, data: JSON.stringify(next, null, 1) + '\n' });
    const temps = writes.map((w) => ({ tmp: tempPath(w.to), to: w.to, data: w.data }));
    const ownIntent = txn.intent === undefined;
    let intent: Promise<number> | undefined;
    // Small uploads go into the intent itself: their files are then synced at the checkpoint.
    const logged = new Map<string, Buffer>();
    if (ownIntent) {
      for (const r of txn.renames) if (r.logged) logged.set(relative(this.files, r.to).split(sep).join('/'), r.logged);
      intent = this.journal.begin(txn.touched, logged, txn.propsOnly);
      if (txn.mkdirs.length) await intent;
    }
    let metaSig = '';
    try {
      for (const dir of txn.mkdirs) await fsp.mkdir(dir, { recursive: true });
      // Data temps staged unsynced (`synced: false`) are fdatasync'd in one parallel round with the intent.
      const syncs = Promise.all([
        ...txn.renames.filter((r) => !r.synced && !(ownIntent && r.logged)).map((r) => (r.fh ? r.fh.datasync() : syncFile(r.from))),
        ...(intent ? [intent] : []),
      ]);
      syncs.catch(() => undefined);
      for (const t of temps) metaSig = writeTemp(t.tmp, t.data);
      await syncs;
      for (const r of txn.renames) renameSync(r.from, r.to);
      for (const t of temps) renameSync(t.tmp, t.to);
      const dirs = new Set([...txn.renames.filter((r) => !(ownIntent && r.logged)).map((r) => dirname(r.to)), ...txn.dirs]);
      await Promise.all([...dirs].map((d) => fsyncDir(d)));
      for (const r of txn.renames) {
        if (!(ownIntent && r.logged)) continue;
        this.unsynced.add(r.to);
        this.unsyncedDirs.add(dirname(r.to));
      }
      for (const t of temps) {
        this.unsynced.add(t.to);
        this.unsyncedDirs.add(dirname(t.to));
      }
    } catch (err) {
      for (const t of temps) rmSync(t.tmp, { force: true });
      const id = await intent?.catch(() => undefined);
      if (id !== undefined) await this.repair(txn.touched);
      throw err;
    }
    // Durable: the edited copies become the cache, with the identity of the `_meta.json` just
    // written (the lock is held, so no other process changed an index since they were read).
    for (const key of txn.dirty) this.cache.set(key, txn.indexes.get(key)!.idx);
    this.meta = next;
    this.metaSig = metaSig;
    this.generation++;
    this.dataSince += txn.bytes;
    txn.dirty.clear();
    txn.renames.length = 0;
    txn.dirs.clear();
    txn.mkdirs.length = 0;
    txn.touched.clear();
    txn.bytes = 0;
    if (ownIntent && (this.journal.bytes > JOURNAL_MAX || this.dataSince > DATA_MAX)) await this.checkpoint();
  }

  /** fsync every index written since the last checkpoint, then empty the journal (lock held). */
  private async checkpoint(): Promise<void> {
    const files = [...this.unsynced];
    const dirs = [...this.unsyncedDirs];
    await Promise.all(files.map((f) => syncIfThere(f, false)));
    await Promise.all(dirs.map((d) => syncIfThere(d, true)));
    await this.journal.clear();
    for (const f of files) this.unsynced.delete(f);
    for (const d of dirs) this.unsyncedDirs.delete(d);
    this.dataSince = 0;
  }

  /** Run `fn` (disk changes outside `commit`) inside a durable journal intent naming `paths`. */
  private async intent<T>(paths: string[], fn: (txn: DriveTxn) => Promise<T>): Promise<T> {
    const txn = new DriveTxn();
    for (const p of paths) txn.touched.add(p);
    const id = await this.journal.begin(paths);
    txn.intent = id;
    let out: T;
    try {
      out = await fn(txn);
      await this.commit(txn);
    } catch (err) {
      await this.repair(paths);
      throw err;
    }
    if (this.journal.bytes > JOURNAL_MAX) await this.checkpoint();
    return out;
  }

  /** After a failed change (an I/O error mid-way): recompute the touched indexes from the files. */
  private async repair(paths: Iterable<string>): Promise<void> {
    this.forgetCache();
    try {
      await rollForward(this.files, this.metaFile, paths);
    } catch {
      /* left to the next open: the intent stays unfinished in the journal */
    }
    this.forgetCache();
  }

  /**
   * Open the drive once: create `drive/files/` with its root index and `_meta.json` if missing
   * and roll forward unfinished intents. A read (`create` false) of a drive that does not exist
   * yet creates nothing (a deleted user's directory must not come back).
   */
  async init(create = true): Promise<void> {
    if (!this.opening && !create && !(await fsp.stat(this.drive).then(() => true, () => false))) return;
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
      const pending = await this.journal.pending();
      if (pending.length) {
        await replayUploads(this.files, pending);
        await rollForward(this.files, this.metaFile, pending.flatMap((i) => i.paths));
      }
      await this.journal.clear();
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
      await rebuildTree(this.files, this.metaFile);
      this.unsynced.clear();
      this.unsyncedDirs.clear();
      await this.journal.clear();
      this.forgetCache();
    });
  }

  /** Run one index mutation holding `drive/files/_index.lock` (one at a time in this process too). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.init();
    const run = this.turn.then(async () => {
      await this.lock.acquire();
      try {
        return await fn();
      } finally {
        this.lock.release();
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
  async commitFile(parts: readonly string[], tmp: string, meta: { size: number; etag: string; content_type: string }, parents: boolean, txn?: DriveTxn, fh?: fsp.FileHandle, logged?: Buffer): Promise<boolean> {
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
      tx.renames.push({ from: tmp, to: this.path(parts), synced: false, fh, logged });
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
    // A small upload's file may still be unsynced (its content is in the journal): sync it before
    // the rename makes the journal's copy no longer apply.
    if (this.unsynced.size) await this.checkpoint();
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
    for (const k of this.cache.keys()) if (k === key || k.startsWith(`${key}/`)) this.cache.delete(k);
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
    txn.propsOnly = true;
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

  /** Checkpoint (indexes synced, journal emptied), then close the lock and journal files. */
  async close(): Promise<void> {
    if (this.opening && (this.unsynced.size || this.journal.bytes)) await this.locked(() => this.checkpoint()).catch(() => undefined);
    await this.journal.close();
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
