/**
 * DriveService layer 1 of 3: the cache of users' stores, the reads (straight from the store, no
 * actor turn), and `after`, the notice every write sends once its turn is done (quota cache
 * dropped when bytes changed, a `drive-changed` event). Quota reads the drive's byte total from
 * the live store through the hook the constructor installs.
 */
import { open as openCallback } from 'node:fs';
import { DriveStore } from '../../store/drive/store.js';
import type { ChildEntry, DirIndex } from '../../store/drive/types.js';
import { NotFoundError } from '../../common/errors.js';
import { splitAddress } from '../../common/names.js';
import { joinDrivePath } from '../../common/drive-path.js';
import type { ActorRegistry } from '../../actors/registry.js';
import type { ChangeBus } from '../../actors/changes.js';
import type { QuotaService } from '../quota.js';
import { toListing, type DirListing, type FileInfo } from './listing.js';

/** Users' drive stores, reads, and the after-write notice. */
export class DriveReads {
  private readonly stores = new Map<string, DriveStore>();

  constructor(
    private readonly root: string,
    protected readonly actors: ActorRegistry,
    protected readonly changes: ChangeBus,
    protected readonly quota: QuotaService,
  ) {
    quota.driveTotal = async (userId) => {
      try {
        const store = this.store(userId);
        await store.init(false);
        if (!store.opened) return 0; // no drive yet: nothing stored
        return (await store.readMeta()).total_bytes;
      } catch {
        return undefined;
      }
    };
  }

  /** The store of `userId` (cached). */
  store(userId: string): DriveStore {
    let s = this.stores.get(userId);
    if (!s) {
      const a = splitAddress(userId);
      if (!a) throw new NotFoundError('User not found');
      s = new DriveStore(this.root, a.domain, a.user);
      this.stores.set(userId, s);
    }
    return s;
  }

  /** The entry at `parts` or undefined (the root is always a directory). */
  stat(userId: string, parts: readonly string[]): Promise<ChildEntry | undefined> {
    return this.store(userId).stat(parts);
  }

  /** A directory's raw index (undefined when not a directory). */
  index(userId: string, parts: readonly string[]): Promise<DirIndex | undefined> {
    return this.store(userId).readIndex(parts);
  }

  /** The JSON listing of a directory (NotFoundError when it is not one). */
  async list(userId: string, parts: readonly string[]): Promise<DirListing> {
    const idx = await this.store(userId).readIndex(parts);
    if (!idx) throw new NotFoundError('Not found');
    return toListing(joinDrivePath(parts), idx);
  }

  /** File metadata as PROPFIND gives it (NotFoundError when absent or a directory). */
  async fileInfo(userId: string, parts: readonly string[]): Promise<FileInfo> {
    const e = await this.stat(userId, parts);
    if (!e || e.type !== 'file') throw new NotFoundError('Not found');
    const { props: _p, ...rest } = e;
    return { path: joinDrivePath(parts), name: parts[parts.length - 1]!, ...rest };
  }

  /**
   * A file's bytes [start, end] (inclusive) for a download reply: the bytes themselves when the
   * file is still held in memory (a small upload not yet checkpointed), else the file opened
   * for the transport to read and close (`Reply.file`). 404 when it is gone.
   */
  async openForDownload(userId: string, parts: readonly string[], range?: { start: number; end: number }): Promise<{ data: Buffer } | { fd: number }> {
    const store = this.store(userId);
    const held = store.pendingData(parts);
    if (held) return { data: range ? held.subarray(range.start, range.end + 1) : held };
    try {
      // A raw descriptor, not a FileHandle (whose collection would close the number again).
      return { fd: await openFd(store.path(parts)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('Not found');
      throw err;
    }
  }

  /** Tell quota (when bytes changed) and change listeners about a finished write. */
  protected async after(userId: string, parts: readonly string[], deltaBytes: number): Promise<void> {
    // Invalidate rather than add: `_meta.json` is the truth, and a delta could race the cache's first load.
    if (deltaBytes !== 0) this.quota.forget(userId);
    this.changes.publish(userId, { type: 'drive-changed', path: joinDrivePath(parts) });
  }

  /** Drop the cached store of a deleted user. */
  async forget(userId: string): Promise<void> {
    const s = this.stores.get(userId);
    this.stores.delete(userId);
    await s?.close();
  }

  /** Close every lock file. */
  async close(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.close()));
    this.stores.clear();
  }
}

/** Open `path` for reading: a raw descriptor. */
const openFd = (path: string): Promise<number> =>
  new Promise((resolve, reject) => openCallback(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
