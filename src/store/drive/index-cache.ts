/**
 * The drive store's first layer (store.ts has the design): where the drive lives and its parsed
 * `_index.json` files and `_meta.json` in memory — read on demand, the changed ones kept until
 * their checkpoint, all dropped when another process rewrote the drive (`fresh`) — and the
 * reads a transaction makes through its staged edits (`txnIndex`, `stat`).
 *
 * Invariants: the cached indexes are the truth (changed ones are ahead of the disk until a
 * checkpoint and never evicted before it); a read that started before the cache changed
 * (`generation`) does not fill it.
 */
import { statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readJson, FileLock } from '../atomic.js';
import { driveDir, driveFilesDir, driveMetaFile, driveIndexLock } from '../layout.js';
import { HttpError } from '../../common/errors.js';
import { overlay, type DriveTxn } from './txn.js';
import { sigOf } from './disk.js';
import { JournalPair } from './journal-pair.js';
import { INDEX, emptyIndex, type ChildEntry, type DirIndex, type DriveMeta } from './types.js';

/** Most parsed indexes kept per drive (unchanged ones are dropped past this). */
const CACHE_MAX = 4096;

/** A small file held in memory until a checkpoint writes it (see DriveStore.pending). */
export interface Held {
  data: Buffer;
  fresh: boolean;
}

/** How long a read trusts the cache without looking for another process's rewrite of the drive (see `fresh`). */
const FRESH_MS = 100;

/** The drive's place and its parsed indexes (the first layer of DriveStore, store.ts). */
export abstract class DriveIndexCache {
  readonly drive: string;
  readonly files: string;
  readonly metaFile: string;
  protected readonly lock: FileLock;
  protected readonly journal: JournalPair;
  /** Parsed indexes by `a/b` key and `_meta.json`: the truth (changed ones are ahead of the disk until a checkpoint). */
  protected readonly cache = new Map<string, DirIndex>();
  protected meta?: DriveMeta;
  /** Identity of `_meta.json` as this process last wrote or read it: another writer changes it. */
  protected metaSig = '';
  /** When `fresh` last looked at `_meta.json` (performance.now()). */
  private freshAt = -Infinity;
  /** Bumped whenever the cache changes: a read that started earlier must not fill it. */
  protected generation = 0;
  /** Keys of indexes changed in memory since the last checkpoint (and whether `_meta.json` is). */
  protected changed = new Set<string>();
  protected metaChanged = false;
  /**
   * Small files acknowledged but not yet on disk, by absolute path (their bytes are in the
   * journal): written and synced at the checkpoint, read from here until then. `fresh`: nothing
   * was on disk at that path (created in place rather than through a temp).
   */
  protected pending = new Map<string, Held>();
  /**
   * The held files and changed index keys of the checkpoint being written without the lock:
   * still read from here (held files) and never evicted (indexes) until it is done. A commit
   * that replaces a held file removes it here, so the checkpoint never writes over it.
   */
  protected flushingHeld?: Map<string, Held>;
  protected flushingChanged?: Set<string>;
  /** In-memory changes were dropped because another process rewrote the drive: replay before the next change. */
  protected stale = false;

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
  protected fresh(force = false): void {
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
  protected forgetCache(sig = this.metaNow()): void {
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

  /** Forget cached indexes at and under `parts` (their directory moved or went away). */
  protected dropCached(parts: readonly string[]): void {
    const key = parts.join('/');
    for (const k of this.cache.keys()) {
      if (k === key || k.startsWith(`${key}/`)) {
        this.cache.delete(k);
        this.changed.delete(k);
      }
    }
    this.generation++;
  }

  /** Open the drive once (lifecycle.ts); a read (`create` false) of a missing drive creates nothing. */
  abstract init(create?: boolean): Promise<void>;
}
