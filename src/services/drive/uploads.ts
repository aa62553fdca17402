/**
 * DriveService layer 2 of 3: uploads. A body streams to a temp file while hashing (SHA-256)
 * outside the actor — or, up to 64 KB with a Content-Length, is read into memory and hashed
 * inline — and only the commit runs in the owner's actor turn: uploads that arrive while a turn
 * is queued or running are committed together (one journal line, one group of syncs). A
 * multipart POST commits its parts all together or not at all (`commitAll`). A failed or
 * aborted upload leaves nothing behind (`discard`).
 */
import { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import type { DriveStore } from '../../store/drive/store.js';
import { DriveTxn } from '../../store/drive/txn.js';
import type { ChildEntry, FileEntry } from '../../store/drive/types.js';
import { HttpError } from '../../common/errors.js';
import { contentTypeOf } from '../../common/content-type.js';
import { checkPreconditions } from './preconditions.js';
import { LOG_MAX, overQuota, readSmall, etagOfBytes, streamToFile } from './upload-body.js';
import { DriveReads } from './reads.js';

/** Conditions and permissions for an upload. */
export interface UploadOptions {
  /** Create missing parent directories (PUT, multipart) or refuse with 409. */
  parents: boolean;
  /** Raw If-Match / If-None-Match / If-Unmodified-Since header values. */
  ifMatch?: string;
  ifNoneMatch?: string;
  ifUnmodifiedSince?: string;
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

/** Uploads into users' drives (stage, group commit, all-or-nothing commit). */
export class DriveUploads extends DriveReads {
  private readonly pending = new Map<string, PendingUpload[]>();

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
    checkPreconditions(entry, opts);
    if (entry && opts.mayOverwrite === false) throw new HttpError(403, 'This share does not allow overwriting files');
    if (!entry && opts.mayCreate === false) throw new HttpError(403, 'This share does not allow creating files');
  }
}
