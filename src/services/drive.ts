/**
 * DriveService: every user's drive (reference.md "Drive"), used by the HTTP drive routes and
 * the webmail drive pages. Reads go straight to the store; every write is one turn of the
 * owner's actor (`mutate`), after which quota and change listeners are told.
 *
 * Paths are arrays of components already validated by DrivePath (src/common/drive-path.ts).
 * Uploads stream to a temp file while hashing (SHA-256) outside the actor — or, up to 64 KB with
 * a Content-Length, are read into memory and hashed inline — and only the commit (one journal
 * line per group of uploads queued meanwhile) runs in the actor turn. Small files stay in memory
 * until the store's checkpoint writes them; `openForDownload` serves them from there. A failed
 * or aborted upload leaves nothing behind. Quota reads the drive's byte total from the live
 * store.
 *
 * The class is three layers, each extending the one before (one job per file): drive/reads.ts
 * (the stores, reads, the after-write notice), drive/uploads.ts (staging and group-committing
 * uploads) and this file (directories, delete, move, copy, PROPPATCH, shares and locks). Pure
 * helpers: drive/listing.ts (CONTRACT.md shapes), drive/preconditions.ts (If-Match),
 * drive/upload-body.ts (hashing a body, the 413s). Callers import everything from here.
 */
import { HttpError, NotFoundError } from '../common/errors.js';
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { QuotaService } from './quota.js';
import type { ChildEntry } from '../store/drive/types.js';
import { DriveShares } from './drive/shares.js';
import { DriveLocks } from './drive/locks.js';
import { DriveUploads } from './drive/uploads.js';

export type { ListingChild, DirListing, FileInfo } from './drive/listing.js';
export { toListing } from './drive/listing.js';
export { checkPreconditions, evaluateConditions, entryEtag, type Conditions } from './drive/preconditions.js';
export type { UploadOptions, UploadResult, StagedUpload } from './drive/uploads.js';
export { LOG_MAX } from './drive/upload-body.js';

/** A check of the current entry run inside a write's actor turn (throws to refuse the write). */
export type EntryGuard = (entry: ChildEntry | undefined) => void;

/** The drive of every user. */
export class DriveService extends DriveUploads {
  /** Public share links (create, list, get, update, revoke, resolve). */
  readonly shares: DriveShares;
  /** WebDAV class 2 locks (in memory). */
  readonly locks = new DriveLocks();

  constructor(
    root: string,
    actors: ActorRegistry,
    changes: ChangeBus,
    quota: QuotaService,
    publicUrl: () => string,
  ) {
    super(root, actors, changes, quota);
    this.shares = new DriveShares(root, actors, this, publicUrl);
  }

  /** Create directory `parts` (and parents when `parents`); false when it already existed. */
  async mkdir(userId: string, parts: readonly string[], parents: boolean): Promise<boolean> {
    if (parts.length === 0) return false;
    const store = this.store(userId);
    const made = await this.actors.user(userId).mutate(() => store.locked(() => store.mkdir(parts, parents)));
    if (made) await this.after(userId, parts, 0);
    return made;
  }

  /** Delete a file or a directory recursively; `guard` sees the entry first, in the same turn (a 412 stops it). */
  async remove(userId: string, parts: readonly string[], guard?: EntryGuard): Promise<void> {
    const store = this.store(userId);
    let bytes = 0;
    await this.actors.user(userId).mutate(() => store.locked(async () => {
      const e = await store.stat(parts);
      guard?.(e);
      if (e?.type === 'dir') bytes = (await store.readIndex(parts))?.total_bytes ?? 0;
      else if (e) bytes = e.size;
      await store.remove(parts);
    }));
    this.locks.dropUnder(userId, parts);
    await this.after(userId, parts, -bytes);
  }

  /** Move `src` to `dst`; with `overwrite` an existing destination is replaced. Returns whether dst was new. `guard` sees the source entry first. */
  async move(userId: string, src: readonly string[], dst: readonly string[], overwrite: boolean, guard?: EntryGuard): Promise<boolean> {
    return this.transfer(userId, src, dst, overwrite, 'move', false, guard);
  }

  /** Copy `src` to `dst` (directories recursively unless `shallow`). Returns whether dst was new. `guard` sees the source entry first. */
  async copy(userId: string, src: readonly string[], dst: readonly string[], overwrite: boolean, shallow: boolean, guard?: EntryGuard): Promise<boolean> {
    return this.transfer(userId, src, dst, overwrite, 'copy', shallow, guard);
  }

  private async transfer(userId: string, src: readonly string[], dst: readonly string[], overwrite: boolean, op: 'move' | 'copy', shallow: boolean, guard?: EntryGuard): Promise<boolean> {
    if (src.length === 0) throw new HttpError(403, `Cannot ${op} the drive root`);
    if (dst.length === 0) throw new HttpError(403, 'Destination cannot be the drive root');
    const same = src.length === dst.length && src.every((p, i) => p === dst[i]);
    if (same) throw new HttpError(403, 'Source and destination are the same');
    if (dst.length > src.length && src.every((p, i) => p === dst[i])) throw new HttpError(409, 'Cannot copy or move a directory into itself');
    const store = this.store(userId);
    let added = 0;
    let replaced = 0;
    const created = await this.actors.user(userId).mutate(() => store.locked(async () => {
      const entry = await store.stat(src);
      if (!entry) throw new NotFoundError('Not found');
      guard?.(entry);
      const existing = await store.stat(dst);
      if (existing && !overwrite) throw new HttpError(412, 'Destination exists and Overwrite is F');
      const srcBytes = entry.type === 'file' ? entry.size : (await store.readIndex(src))?.total_bytes ?? 0;
      if (existing) {
        replaced = existing.type === 'file' ? existing.size : (await store.readIndex(dst))?.total_bytes ?? 0;
        if (op === 'copy') await this.quota.check(userId, srcBytes - replaced);
        // A file moved or copied over a file ends in one atomic rename; anything else clears the destination first.
        if (!(entry.type === 'file' && existing.type === 'file')) await store.remove(dst);
      } else if (op === 'copy') await this.quota.check(userId, srcBytes);
      if (op === 'move') await store.move(src, dst);
      else {
        await store.copy(src, dst, shallow);
        added = shallow ? 0 : srcBytes;
      }
      return !existing;
    }));
    if (op === 'move') this.locks.dropUnder(userId, src);
    await this.after(userId, dst, added - replaced);
    return created;
  }

  /** Set and remove WebDAV dead properties on the entry at `parts`; `guard` sees the entry first. */
  async setProps(userId: string, parts: readonly string[], set: Record<string, string>, remove: string[], guard?: EntryGuard): Promise<void> {
    const store = this.store(userId);
    await this.actors.user(userId).mutate(() => store.locked(async () => {
      guard?.(await store.stat(parts));
      await store.setProps(parts, set, remove);
    }));
    await this.after(userId, parts, 0);
  }
}
