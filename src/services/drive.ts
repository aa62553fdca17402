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
 */
import { promises as fsp, open as openCallback } from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DriveStore } from '../store/drive/store.js';
import { DriveTxn } from '../store/drive/txn.js';
import type { ChildEntry, DirCounters, DirIndex, FileEntry } from '../store/drive/types.js';
import { HttpError, NotFoundError } from '../common/errors.js';
import { splitAddress } from '../common/names.js';
import { contentTypeOf } from '../common/content-type.js';
import { joinDrivePath } from '../common/drive-path.js';
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { QuotaService } from './quota.js';
import { DriveShares } from './drive-shares.js';
import { DriveLocks } from './drive-locks.js';

/** One child in a directory listing (CONTRACT.md shape). */
export type ListingChild = { name: string } & Omit<ChildEntry, 'props'>;

/** `GET /drive/{dir}` / `PROPFIND` JSON for a directory (CONTRACT.md). */
export interface DirListing extends DirCounters {
  path: string;
  type: 'dir';
  children: ListingChild[];
}

/** PROPFIND JSON for a file. */
export type FileInfo = { path: string; name: string } & Omit<FileEntry, 'props'>;

/** Conditions and permissions for an upload. */
export interface UploadOptions {
  /** Create missing parent directories (PUT, multipart) or refuse with 409. */
  parents: boolean;
  /** Raw If-Match / If-None-Match header values. */
  ifMatch?: string;
  ifNoneMatch?: string;
  /** Share gating: may a new file be created / an existing one overwritten (default true). */
  mayCreate?: boolean;
  mayOverwrite?: boolean;
  /** Content-Length when known (lets quota refuse before reading the body). */
  expectedSize?: number;
}

/** Result of an upload. */
export interface UploadResult {
  created: boolean;
  entry: FileEntry;
}

/** An upload streamed to its temp file, not yet in the drive. */
export interface StagedUpload {
  parts: readonly string[];
  /** The temp file (absent for a small upload held in memory: `logged`). */
  tmp?: string;
  /** The temp file, still open (the commit fdatasyncs it through this handle). */
  fh?: fsp.FileHandle;
  meta: { size: number; etag: string; content_type: string };
  opts: UploadOptions;
  /** The whole content of a small upload (logged in the journal intent instead of syncing the file). */
  logged?: Buffer;
}

/** A staged upload waiting for the actor turn that commits it. */
interface PendingUpload extends StagedUpload {
  resolve: (r: { created: boolean; delta: number }) => void;
  reject: (err: unknown) => void;
}

/** True when an ETag list header (`*` or `"a", W/"b"`) matches `etag`. */
export function etagMatches(header: string, etag: string | undefined): boolean {
  if (etag === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').map((s) => s.trim().replace(/^W\//, '')).includes(etag);
}

/** Throw 412 when If-Match / If-None-Match fail for the current entry. */
export function checkPreconditions(entry: ChildEntry | undefined, ifMatch?: string, ifNoneMatch?: string): void {
  const etag = entry?.type === 'file' ? entry.etag : undefined;
  if (ifMatch !== undefined && !(ifMatch.trim() === '*' ? entry !== undefined : etagMatches(ifMatch, etag))) {
    throw new HttpError(412, 'Precondition failed (If-Match)');
  }
  if (ifNoneMatch !== undefined && (ifNoneMatch.trim() === '*' ? entry !== undefined : etagMatches(ifNoneMatch, etag))) {
    throw new HttpError(412, 'Precondition failed (If-None-Match)');
  }
}

/** The drive of every user. */
export class DriveService {
  private readonly stores = new Map<string, DriveStore>();
  private readonly pending = new Map<string, PendingUpload[]>();
  /** Public share links (create, list, get, update, revoke, resolve). */
  readonly shares: DriveShares;
  /** WebDAV class 2 locks (in memory). */
  readonly locks = new DriveLocks();

  constructor(
    private readonly root: string,
    private readonly actors: ActorRegistry,
    private readonly changes: ChangeBus,
    private readonly quota: QuotaService,
    publicUrl: () => string,
  ) {
    this.shares = new DriveShares(root, actors, this, publicUrl);
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

  /**
   * Stream `body` into the file at `parts`: hash while writing, then commit in the actor turn.
   * `body` may be the whole content already read (a small PUT: no stream machinery).
   */
  async upload(userId: string, parts: readonly string[], body: Readable | Buffer, opts: UploadOptions): Promise<UploadResult> {
    const staged = await this.stage(userId, parts, body, opts);
    try {
      const { created, delta } = await this.commitUpload(userId, staged);
      await this.after(userId, parts, delta);
      const entry = (await this.store(userId).stat(parts)) as FileEntry;
      return { created, entry };
    } finally {
      await this.discard(staged);
    }
  }

  /**
   * Stream `body` to a temp file outside the tree (hashing as it goes) for a later commit;
   * nothing in the drive changes. `reserved` bytes (other uploads staged by the same request)
   * count against the quota. Always `discard` the result, committed or not.
   */
  async stage(userId: string, parts: readonly string[], body: Readable | Buffer, opts: UploadOptions, reserved = 0): Promise<StagedUpload> {
    if (parts.length === 0) throw new HttpError(405, 'Cannot write to the drive root');
    const store = this.store(userId);
    await store.init();
    const before = await store.stat(parts);
    this.gate(before, opts);
    const usage = await this.quota.usage(userId);
    const allowed = usage.limit - usage.used - reserved + (before?.type === 'file' ? before.size : 0);
    if (opts.expectedSize !== undefined && opts.expectedSize > allowed) throw overQuota();
    const content_type = contentTypeOf(parts[parts.length - 1]!);
    if (Buffer.isBuffer(body)) {
      if (body.length > LOG_MAX) throw new HttpError(413, 'Payload too large');
      if (body.length > allowed) throw overQuota();
      return { parts, meta: { size: body.length, etag: etagOfBytes(body), content_type }, opts, logged: body };
    }
    if (opts.expectedSize !== undefined && opts.expectedSize <= LOG_MAX) {
      // Small (Content-Length known): kept in memory, hashed inline; the commit logs it in the
      // journal line and writes the file in place (no temp file, no worker, no extra sync).
      const { data, size, etag } = await readSmall(body, allowed);
      return { parts, meta: { size, etag, content_type }, opts, logged: data };
    }
    const tmp = store.tempFile();
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      const { size, etag, logged } = await streamToFile(body, fh, allowed);
      return { parts, tmp, fh, meta: { size, etag, content_type }, opts, logged };
    } catch (err) {
      await this.discard({ tmp, fh });
      throw err;
    }
  }

  /** Close and remove a staged upload's temp file (a no-op for the part already renamed into place, or one held in memory). */
  async discard(staged: Pick<StagedUpload, 'tmp' | 'fh'>): Promise<void> {
    await staged.fh?.close().catch(() => undefined);
    if (staged.tmp) await fsp.rm(staged.tmp, { force: true });
  }

  /**
   * Commit staged uploads all together or not at all (a multipart POST): one actor turn, one
   * transaction; any refusal (precondition, quota, a directory in the way) commits none.
   */
  async commitAll(userId: string, staged: StagedUpload[]): Promise<UploadResult[]> {
    const store = this.store(userId);
    let total = 0;
    const created = await this.actors.user(userId).mutate(() => store.locked(async () => {
      const txn = new DriveTxn();
      const out: boolean[] = [];
      for (const p of staged) {
        const cur = await store.stat(p.parts, txn);
        this.gate(cur, p.opts);
        const delta = p.meta.size - (cur?.type === 'file' ? cur.size : 0);
        await this.quota.check(userId, total + delta);
        out.push(await store.commitFile(p.parts, p.tmp, p.meta, p.opts.parents, txn, p.fh, p.logged));
        total += delta;
      }
      await store.commit(txn);
      return out;
    }));
    for (const p of staged) await this.after(userId, p.parts, total);
    return Promise.all(staged.map(async (p, i) => ({ created: created[i]!, entry: (await store.stat(p.parts)) as FileEntry })));
  }

  /**
   * Queue a finished upload for the owner's actor. Uploads that arrive while a turn is queued or
   * running are committed together in the next turn (one group of syncs for all of them).
   */
  private commitUpload(userId: string, item: Omit<PendingUpload, 'resolve' | 'reject'>): Promise<{ created: boolean; delta: number }> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(userId);
      if (!queue) {
        queue = [];
        this.pending.set(userId, queue);
        const store = this.store(userId);
        this.actors.user(userId).mutate(() => store.locked(async () => {
          const batch = this.pending.get(userId)!;
          this.pending.delete(userId);
          await this.commitBatch(userId, store, batch);
        })).catch((err) => {
          for (const p of this.pending.get(userId) ?? []) p.reject(err);
        });
      }
      queue.push({ ...item, resolve, reject });
    });
  }

  private async commitBatch(userId: string, store: DriveStore, batch: PendingUpload[]): Promise<void> {
    const txn = new DriveTxn();
    const staged: { p: PendingUpload; created: boolean; delta: number }[] = [];
    let total = 0;
    for (const p of batch) {
      try {
        const cur = await store.stat(p.parts, txn);
        this.gate(cur, p.opts);
        const delta = p.meta.size - (cur?.type === 'file' ? cur.size : 0);
        await this.quota.check(userId, total + delta);
        const created = await store.commitFile(p.parts, p.tmp, p.meta, p.opts.parents, txn, p.fh, p.logged);
        total += delta;
        staged.push({ p, created, delta });
      } catch (err) {
        p.reject(err);
      }
    }
    try {
      await store.commit(txn);
    } catch (err) {
      for (const s of staged) s.p.reject(err);
      return;
    }
    for (const s of staged) s.p.resolve({ created: s.created, delta: s.delta });
  }

  private gate(entry: ChildEntry | undefined, opts: UploadOptions): void {
    if (entry?.type === 'dir') throw new HttpError(405, 'A directory exists at that path');
    checkPreconditions(entry, opts.ifMatch, opts.ifNoneMatch);
    if (entry && opts.mayOverwrite === false) throw new HttpError(403, 'This share does not allow overwriting files');
    if (!entry && opts.mayCreate === false) throw new HttpError(403, 'This share does not allow creating files');
  }

  /** Create directory `parts` (and parents when `parents`); false when it already existed. */
  async mkdir(userId: string, parts: readonly string[], parents: boolean): Promise<boolean> {
    if (parts.length === 0) return false;
    const store = this.store(userId);
    const made = await this.actors.user(userId).mutate(() => store.locked(() => store.mkdir(parts, parents)));
    if (made) await this.after(userId, parts, 0);
    return made;
  }

  /** Delete a file or a directory recursively. */
  async remove(userId: string, parts: readonly string[]): Promise<void> {
    const store = this.store(userId);
    let bytes = 0;
    await this.actors.user(userId).mutate(() => store.locked(async () => {
      const e = await store.stat(parts);
      if (e?.type === 'dir') bytes = (await store.readIndex(parts))?.total_bytes ?? 0;
      else if (e) bytes = e.size;
      await store.remove(parts);
    }));
    this.locks.dropUnder(userId, parts);
    await this.after(userId, parts, -bytes);
  }

  /** Move `src` to `dst`; with `overwrite` an existing destination is replaced. Returns whether dst was new. */
  async move(userId: string, src: readonly string[], dst: readonly string[], overwrite: boolean): Promise<boolean> {
    return this.transfer(userId, src, dst, overwrite, 'move', false);
  }

  /** Copy `src` to `dst` (directories recursively unless `shallow`). Returns whether dst was new. */
  async copy(userId: string, src: readonly string[], dst: readonly string[], overwrite: boolean, shallow: boolean): Promise<boolean> {
    return this.transfer(userId, src, dst, overwrite, 'copy', shallow);
  }

  private async transfer(userId: string, src: readonly string[], dst: readonly string[], overwrite: boolean, op: 'move' | 'copy', shallow: boolean): Promise<boolean> {
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

  /** Set and remove WebDAV dead properties on the entry at `parts`. */
  async setProps(userId: string, parts: readonly string[], set: Record<string, string>, remove: string[]): Promise<void> {
    const store = this.store(userId);
    await this.actors.user(userId).mutate(() => store.locked(() => store.setProps(parts, set, remove)));
    await this.after(userId, parts, 0);
  }

  private async after(userId: string, parts: readonly string[], deltaBytes: number): Promise<void> {
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

/** The CONTRACT.md listing of a directory index. */
export function toListing(path: string, idx: DirIndex): DirListing {
  const children: ListingChild[] = Object.entries(idx.children)
    .sort(([a, ea], [b, eb]) => (ea.type === eb.type ? (a < b ? -1 : a > b ? 1 : 0) : ea.type === 'dir' ? -1 : 1))
    .map(([name, e]) => {
      const { props: _p, ...rest } = e;
      return { name, ...rest };
    });
  return {
    path, type: 'dir', ctag: idx.ctag, mtime: idx.mtime,
    self_files: idx.self_files, self_dirs: idx.self_dirs, self_bytes: idx.self_bytes,
    total_files: idx.total_files, total_dirs: idx.total_dirs, total_bytes: idx.total_bytes, children,
  };
}

/** Open `path` for reading: a raw descriptor. */
const openFd = (path: string): Promise<number> =>
  new Promise((resolve, reject) => openCallback(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));

/** 413 that also closes the connection (the rest of the upload is never read). */
const overQuota = (): HttpError => new HttpError(413, 'Quota exceeded');

/** Uploads up to this size are logged whole in the journal intent rather than synced on their own. */
export const LOG_MAX = 64 * 1024;

/** The chunks of `body`; past `limit` bytes a 413, and the rest of the upload is dropped. */
async function* withinLimit(body: Readable, limit: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > limit) {
      body.destroy();
      throw overQuota();
    }
    yield buf;
  }
}

/** Read a small `body` whole, hashing it; 413 past `limit` bytes. */
async function readSmall(body: Readable, limit: number): Promise<{ data: Buffer; size: number; etag: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const buf of withinLimit(body, limit)) {
    size += buf.byteLength;
    chunks.push(buf); // the transport hands over copies (uws.ts), never views of a reused buffer
  }
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  return { data, size, etag: etagOfBytes(data) };
}

/** The reference.md ETag of a whole content: SHA-256, 32 hex chars, quoted. */
const etagOfBytes = (data: Buffer): string => `"${createHash('sha256').update(data).digest('hex').slice(0, 32)}"`;

/** Write `body` through `fh`, hashing as it goes; 413 past `limit` bytes. Small bodies also come back whole. */
async function streamToFile(body: Readable, fh: fsp.FileHandle, limit: number): Promise<{ size: number; etag: string; logged?: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  let kept: Buffer[] | undefined = [];
  for await (const buf of withinLimit(body, limit)) {
    size += buf.byteLength;
    hash.update(buf);
    if (kept && size <= LOG_MAX) kept.push(buf);
    else kept = undefined;
    await fh.write(buf, 0, buf.byteLength);
  }
  // Not synced here: the commit fdatasyncs it (or logs it) together with the journal intent (one round).
  return { size, etag: `"${hash.digest('hex').slice(0, 32)}"`, logged: kept ? Buffer.concat(kept, size) : undefined };
}
