/**
 * MailService: the one entry to users' mail for every front end (IMAP, SMTP, API, webmail).
 *
 * Invariants:
 * - Every write goes through the user's actor (`mutate`: serial, under the user's flock) and is
 *   acknowledged only once durable (message file fsync'd + renamed + dir fsync'd, journal line
 *   fsync'd; or, for a small message, its journal line carrying its bytes fsync'd: the file is
 *   restored from it after a crash). Concurrent appends to one folder are batched into one actor
 *   turn sharing fsyncs.
 * - MIME parsing (the `mime` worker) happens before the actor turn, never inside it; a small
 *   message (INLINE_MAX) is parsed on the loop by its commit while its journal line is written.
 * - Change events are published after the write is durable, in order.
 * - Reads (`folder`, `listFolders`, `summary`, `messageFile`) never queue behind writes.
 * - Folder names use `/` as the hierarchy separator; `INBOX` is case-insensitive.
 */
import { existsSync, promises as fsp } from 'node:fs';
import type { Actor } from '../actors/actor.js';
import type {
  AppendResult, AppendSource, FlagOp, FolderInfo, FolderView, MessageMeta, MessageSummary,
} from '../common/mail.js';
import type { MailDeps, AppendOptions, SetFlagsResult, CopyResult } from './mail-types.js';
import { UserMail, MAIL_STATE } from '../actors/mail/user-mail.js';
import { FolderIndex, MAX_BATCH, type PreparedMessage } from '../actors/mail/folder-index.js';
import { MailBytes } from './mail-bytes.js';
import { writeUnsynced, sealTemp, messagePath } from '../store/mail/files.js';
import { summarizeHere } from '../workers/pool.js';
import { mailFolderDir, mailFoldersFile, tmpDir } from '../store/layout.js';
import { normalizeFlags } from '../common/flags.js';
import { checkFolderName, DEFAULT_FOLDERS } from '../common/folder-name.js';
import { splitAddress, isDomain } from '../common/names.js';
import { NotFoundError, QuotaError, ValidationError } from '../common/errors.js';
import { IdleTimer } from '../common/idle-timer.js';

export type { AppendResult, AppendSource, FolderView, MailDeps, AppendOptions, SetFlagsResult, CopyResult };

/**
 * Messages up to this size given as bytes are committed inline: summarized on the event loop (tens
 * of µs, less than a worker round trip) and written in place by the commit without fsync, their
 * bytes carried by the journal line (one sync before the acknowledgement; folder-index.ts).
 */
const INLINE_MAX = 64 * 1024;

/** Journal files of a user with no mail write for this long are closed. */
const IDLE_CLOSE_MS = 60_000;

/** Special-use attributes a folder may be created with (RFC 6154). */
const SPECIAL_USES = new Set(['\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']);

interface Pending {
  item: PreparedMessage;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface AppendQueue {
  items: Pending[];
  scheduled: boolean;
}

/** The mail store service. */
export class MailService {
  /** Appends waiting for their folder's next group commit, per user + folder id. */
  private readonly queues = new Map<string, AppendQueue>();
  /** Running totals of mail bytes per user (quota). */
  private readonly totals: MailBytes;
  /** Per user: close the journal files after a quiet minute. */
  private readonly idleTimers = new Map<string, IdleTimer>();
  /** User ids that passed the format check (`actor`), so a hot path does not re-run the regexes. */
  private readonly validIds = new Set<string>();
  /** The UserMail last loaded per user (also after its actor was evicted), to close on shutdown. */
  private readonly open = new Map<string, UserMail>();

  constructor(private readonly deps: MailDeps) {
    this.totals = new MailBytes(deps.config.mail_root, (userId, id) => this.loaded(userId)?.openIndex(id));
    deps.quota.mailBytes = (userId) => this.mailBytes(userId);
  }

  private actor(userId: string): Actor {
    if (!this.validIds.has(userId)) {
      const a = splitAddress(userId);
      if (!a || !isDomain(a.domain) || !/^[a-z0-9._-]{1,64}$/.test(a.user) || a.user.startsWith('.') || userId !== `${a.user}@${a.domain}`) {
        throw new NotFoundError('User not found');
      }
      if (this.validIds.size >= 100_000) this.validIds.clear();
      this.validIds.add(userId);
    }
    return this.deps.actors.user(userId);
  }

  /** The user's mail if already loaded (lock-free). */
  private loaded(userId: string): UserMail | undefined {
    return this.actor(userId).state.get(MAIL_STATE) as UserMail | undefined;
  }

  /** The user's mail; call inside the user's actor turn. */
  private async inside(userId: string): Promise<UserMail> {
    const actor = this.actor(userId);
    let um = actor.state.get(MAIL_STATE) as UserMail | undefined;
    if (!um) {
      um = await UserMail.load(this.deps.config.mail_root, userId);
      actor.state.set(MAIL_STATE, um);
      const old = this.open.get(userId);
      if (old) void old.close().catch(() => undefined);
      this.open.set(userId, um);
    } else await um.refresh();
    return um;
  }

  /**
   * Run `fn` in the user's actor turn (under the flock) with the user's mail. When the mail is
   * loaded and no other process changed the folder list, `fn` runs without a further await.
   */
  private withMail<T>(userId: string, fn: (um: UserMail) => Promise<T>): Promise<T> {
    const actor = this.actor(userId);
    return actor.mutate(() => {
      const loaded = actor.state.get(MAIL_STATE) as UserMail | undefined;
      if (loaded?.isCurrent()) {
        this.idle(userId, loaded);
        return fn(loaded);
      }
      return this.inside(userId).then((um) => {
        this.idle(userId, um);
        return fn(um);
      });
    });
  }

  /** Note a write to the user's mail: its journal files are closed after a quiet minute (an evicted actor's too). */
  private idle(userId: string, um: UserMail): void {
    this.open.set(userId, um);
    let timer = this.idleTimers.get(userId);
    if (!timer) {
      timer = new IdleTimer(IDLE_CLOSE_MS, () => {
        this.idleTimers.delete(userId);
        const quiet = this.open.get(userId);
        this.open.delete(userId);
        quiet?.closeLogs().catch(() => undefined);
      });
      this.idleTimers.set(userId, timer);
    }
    timer.touch();
  }

  private touched(userId: string, delta: number | null): void {
    this.totals.touched(userId, delta);
  }

  /** Create the user's mail store and special-use folders (idempotent; run on account creation). */
  async ensureUser(userId: string): Promise<void> {
    await this.withMail(userId, async () => undefined);
  }

  /** Drop the caches of a deleted user (run from accounts.onDelete; the actor is already gone). */
  async forgetUser(userId: string): Promise<void> {
    this.touched(userId, null);
    this.deps.quota.forget(userId);
    this.idleTimers.get(userId)?.cancel();
    this.idleTimers.delete(userId);
    this.validIds.delete(userId);
    await this.open.get(userId)?.close().catch(() => undefined);
    this.open.delete(userId);
  }

  /** Close every journal file (on shutdown, after the actors finished their work). */
  async close(): Promise<void> {
    for (const t of this.idleTimers.values()) t.cancel();
    this.idleTimers.clear();
    for (const um of this.open.values()) await um.close().catch(() => undefined);
    this.open.clear();
  }

  /**
   * Fold the journals that carry message bytes (small appends) into fresh snapshots, their files
   * fsync'd first: what compaction does when a journal grows, done now (e.g. when a bulk import
   * is finished, so that the next open has nothing to check).
   */
  async checkpoint(userId: string): Promise<void> {
    await this.withMail(userId, (um) => um.checkpoint());
  }

  /** Bytes of all the user's messages (running total; never waits for the user's actor). */
  mailBytes(userId: string): Promise<number> {
    return this.totals.get(userId);
  }

  /** Mail bytes computed inside the actor turn (exact; refreshes the running total). */
  private async bytesInside(userId: string, um: UserMail): Promise<number> {
    const n = await um.totalBytes();
    this.totals.set(userId, n);
    return n;
  }

  /** Every folder of the user (creates the special-use folders on first use). Copies of the live info. */
  async listFolders(userId: string): Promise<FolderInfo[]> {
    const um = this.loaded(userId);
    if (um && um.folders().every((f) => um.openIndex(f.id))) return um.folders().map((f) => ({ ...um.openIndex(f.id)!.info }));
    return this.withMail(userId, async (m) => {
      const out: FolderInfo[] = [];
      for (const rec of m.folders()) out.push({ ...(await m.index(rec)).info });
      return out;
    });
  }

  /** Create a folder (parents are created too); ConflictError when it exists. */
  async createFolder(userId: string, name: string, opts: { specialUse?: string } = {}): Promise<FolderInfo> {
    const n = checkFolderName(name);
    const use = opts.specialUse ?? null;
    if (use !== null && !SPECIAL_USES.has(use)) throw new ValidationError(`Unknown special-use attribute ${use}`);
    const info = await this.withMail(userId, async (um) => {
      const made = await um.create(n, use);
      for (const rec of made) this.deps.changes.publish(userId, { type: 'folder-created', folder: rec.name });
      return { ...(await um.index(um.require(n))).info };
    });
    return info;
  }

  /** Rename a folder and its children (no message is rewritten). Special-use folders: ValidationError. */
  async renameFolder(userId: string, from: string, to: string): Promise<void> {
    const f = checkFolderName(from);
    const t = checkFolderName(to);
    if (DEFAULT_FOLDERS.some((d) => d.name === t)) throw new ValidationError(`Folder name ${t} is reserved`);
    await this.withMail(userId, async (um) => {
      const pairs = await um.rename(f, t);
      for (const [a, b] of pairs) this.deps.changes.publish(userId, { type: 'folder-renamed', folder: a, to: b });
    });
  }

  /** Delete a folder and its messages (special-use folders: ValidationError). Children stay. */
  async deleteFolder(userId: string, name: string): Promise<void> {
    const n = checkFolderName(name);
    await this.withMail(userId, async (um) => {
      const rec = await um.remove(n);
      this.touched(userId, null);
      this.deps.changes.publish(userId, { type: 'folder-deleted', folder: rec.name });
    });
  }

  /** Subscribe or unsubscribe an IMAP name, a folder or not (RFC 3501 6.3.6-7). */
  async setSubscribed(userId: string, name: string, subscribed: boolean): Promise<void> {
    const n = checkFolderName(name);
    await this.withMail(userId, (um) => um.subscribe(n, subscribed));
  }

  /** The IMAP subscribed names, folders or not (a deleted folder's subscription stays). */
  async subscriptions(userId: string): Promise<string[]> {
    const um = this.loaded(userId);
    if (um) return [...um.subscriptions()];
    return this.withMail(userId, async (m) => [...m.subscriptions()]);
  }

  /** Save raised IMAP \Recent floors (folder id -> first uid no session was told about). */
  async saveRecent(userId: string, floors: ReadonlyMap<string, number>): Promise<void> {
    const a = splitAddress(userId);
    // Write-behind: a user deleted meanwhile gets no new mail store.
    if (!a || !existsSync(mailFoldersFile(this.deps.config.mail_root, a.domain, a.user))) return;
    await this.withMail(userId, (um) => um.saveRecent(floors));
  }

  /**
   * The live read view of a folder's index; NotFoundError when absent. The view is updated in
   * place after every durable write; after a rename it keeps working (its `info.name` changes),
   * after a delete it is dead: call folder() again.
   */
  async folder(userId: string, name: string): Promise<FolderView> {
    return this.index(userId, name);
  }

  private async index(userId: string, name: string): Promise<FolderIndex> {
    const um = this.loaded(userId);
    const rec = um?.find(name);
    const open = rec ? um!.openIndex(rec.id) : undefined;
    if (open) return open;
    return this.withMail(userId, async (m) => m.index(m.require(name)));
  }

  /** Append a message durably (parsed by the mime worker first); QuotaError when over quota. */
  async append(userId: string, folder: string, source: AppendSource, opts: AppendOptions = {}): Promise<AppendResult> {
    const flags = normalizeFlags(opts.flags ?? []);
    const date = opts.internalDate ?? Date.now();
    if (!Number.isFinite(date) || date < 0) throw new ValidationError('Invalid internal date');
    const idx = await this.index(userId, folder);
    const when = Math.floor(date);
    if ('data' in source && source.data.byteLength > this.deps.config.smtp.max_message_bytes) throw new QuotaError('Message too large');
    if ('data' in source && source.data.byteLength <= INLINE_MAX) {
      const data = source.data;
      const given = opts.summary;
      // parsed by the commit while its journal line is written (a failed parse is recomputed when read)
      const summary = (): string | null => {
        try {
          return JSON.stringify(given ?? summarizeHere(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
        } catch {
          return null;
        }
      };
      return this.enqueue(userId, idx.info.id, { data, stampDate: opts.internalDate !== undefined, size: data.byteLength, date: when, flags, summary });
    }
    // The mime worker parses the bytes while the temp file is written; the file's fsync runs in
    // the commit, together with the directory's and the journal's (one round of fsyncs).
    const parsed = opts.summary ? Promise.resolve(opts.summary) : 'data' in source ? this.summarize(source.data) : null;
    // JSON for the commit (which awaits it beside its fsyncs); a failed parse is recomputed when read
    const parsedJson = parsed?.then((s) => (s ? JSON.stringify(s) : null), () => null);
    const own = 'data' in source
      ? await writeUnsynced(tmpDir(this.deps.config.mail_root), [source.data], opts.internalDate === undefined ? null : when)
      : undefined;
    const unsynced = own ?? opts.unsynced;
    const tmp = own ? own.path : (source as { file: string }).file;
    try {
      const size = unsynced ? unsynced.size : await sealTemp(tmp, when);
      if (size > this.deps.config.smtp.max_message_bytes) throw new QuotaError('Message too large');
      // a file source is parsed before the commit renames it away
      const summary = parsedJson ?? JSON.stringify(await this.deps.pool.run('mime', { file: tmp }));
      return await this.enqueue(userId, idx.info.id, { tmp, unsynced, size, date: when, flags, summary });
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    } finally {
      void own?.close(); // after the fsync: nothing waits for it
    }
  }

  /**
   * The summary of a message's bytes (the mime worker, no file read). The bytes are copied to the
   * worker, or with `handOver` moved (`data` must own its whole ArrayBuffer and not be used again).
   */
  summarize(data: Uint8Array, handOver = false): Promise<MessageSummary> {
    return this.deps.pool.run('mime', { data }, handOver ? [data.buffer as ArrayBuffer] : undefined);
  }

  /** Queue a prepared message for its folder's next group commit. */
  private enqueue(userId: string, folderId: string, item: PreparedMessage): Promise<AppendResult> {
    const key = `${userId}\0${folderId}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { items: [], scheduled: false };
      this.queues.set(key, q);
    }
    const queue = q;
    return new Promise<AppendResult>((resolve, reject) => {
      queue.items.push({ item, resolve, reject });
      if (!queue.scheduled) {
        queue.scheduled = true;
        this.actor(userId).mutate(() => this.drain(userId, folderId, key, queue)).catch(() => undefined);
      }
    });
  }

  /** One actor turn committing every queued append of a folder: shared dir fsync and journal write. */
  private async drain(userId: string, folderId: string, key: string, q: AppendQueue): Promise<void> {
    const batch = q.items.splice(0, MAX_BATCH);
    if (q.items.length > 0) void this.actor(userId).mutate(() => this.drain(userId, folderId, key, q)).catch(() => undefined);
    else {
      q.scheduled = false;
      if (this.queues.get(key) === q) this.queues.delete(key);
    }
    if (batch.length === 0) return;
    try {
      const um = await this.inside(userId);
      this.idle(userId, um);
      const rec = um.folders().find((f) => f.id === folderId);
      if (!rec) throw new NotFoundError('Folder not found');
      const idx = um.currentIndex(rec) ?? (await um.index(rec));
      let used = await this.bytesInside(userId, um);
      const quota = await this.deps.quota.usage(userId, used);
      used = quota.used;
      const accepted: Pending[] = [];
      for (const p of batch) {
        if (used + p.item.size > quota.limit) p.reject(new QuotaError('Quota exceeded'));
        else {
          used += p.item.size;
          accepted.push(p);
        }
      }
      if (accepted.length === 0) return;
      const metas = await idx.commitAdds(accepted.map((p) => p.item));
      this.touched(userId, metas.reduce((n, m) => n + m.size, 0));
      metas.forEach((m, i) => {
        this.deps.changes.publish(userId, { type: 'message-added', folder: idx.info.name, uid: m.uid, modseq: m.modseq });
        accepted[i]!.resolve({ uid: m.uid, uidValidity: idx.info.uidValidity, size: m.size, modseq: m.modseq });
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  /** Change flags of messages (one journal line each); UNCHANGEDSINCE failures are reported. */
  async setFlags(
    userId: string, folder: string, uids: number[], op: FlagOp, flags: string[], opts: { unchangedSince?: number } = {},
  ): Promise<SetFlagsResult> {
    const clean = normalizeFlags(flags);
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw new ValidationError('Invalid flag operation');
    return this.withMail(userId, async (um) => {
      const rec = um.require(folder);
      const idx = um.currentIndex(rec) ?? (await um.index(rec));
      const res = await idx.setFlags(uids, op, clean, opts.unchangedSince);
      for (const m of res.changed) {
        this.deps.changes.publish(userId, { type: 'flags-changed', folder: idx.info.name, uid: m.uid, flags: [...m.flags], modseq: m.modseq });
      }
      return { changed: res.changed.map((m) => ({ ...m, flags: [...m.flags] })), modifiedFailed: res.modifiedFailed };
    });
  }

  /** Permanently remove messages; answers the uids actually removed. */
  async expunge(userId: string, folder: string, uids: number[]): Promise<number[]> {
    return this.withMail(userId, async (um) => {
      const idx = await um.index(um.require(folder));
      const before = idx.bytes;
      const res = await idx.expunge(uids);
      if (res.uids.length) {
        this.touched(userId, idx.bytes - before);
        this.deps.changes.publish(userId, { type: 'expunged', folder: idx.info.name, uids: res.uids, modseq: res.modseq });
      }
      return res.uids;
    });
  }

  /** Copy messages (hard links) to another folder of the same user. QuotaError when over quota. */
  async copy(userId: string, from: string, uids: number[], to: string): Promise<CopyResult> {
    return this.transfer(userId, from, uids, to, false);
  }

  /** Move messages (link into the destination, then expunge from the source). */
  async move(userId: string, from: string, uids: number[], to: string): Promise<CopyResult> {
    return this.transfer(userId, from, uids, to, true);
  }

  private transfer(userId: string, from: string, uids: number[], to: string, move: boolean): Promise<CopyResult> {
    return this.withMail(userId, async (um) => {
      const src = await um.index(um.require(from));
      const dst = await um.index(um.require(to));
      const metas = [...new Set(uids)].sort((a, b) => a - b).map((u) => src.byUid(u)).filter((m): m is MessageMeta => !!m);
      if (metas.length === 0) return { uidValidity: dst.info.uidValidity, pairs: [] };
      if (move && src === dst) return { uidValidity: dst.info.uidValidity, pairs: metas.map((m) => [m.uid, m.uid] as [number, number]) };
      const bytes = metas.reduce((n, m) => n + m.size, 0);
      if (!move) await this.deps.quota.check(userId, bytes, await this.bytesInside(userId, um));
      // a hard link shares the inode: its bytes must be on disk before the destination's line is
      await src.syncMessages(metas.map((m) => m.uid));
      const items: PreparedMessage[] = [];
      for (const m of metas) {
        items.push({ linkFrom: src.file(m.uid), size: m.size, date: m.internalDate, flags: [...m.flags], summary: (await src.summaryJson(m.uid)) ?? null });
      }
      // MOVE is crash-atomic: the intent is durable in the source journal before the first link,
      // and retired in the same write as the source expunge (UserMail settles one left pending).
      const moveId = move ? await src.intendMove(metas.map((m) => m.uid), dst.info.id, metas.map((_, i) => dst.info.uidNext + i)) : undefined;
      const added: MessageMeta[] = [];
      try {
        for (let i = 0; i < items.length; i += MAX_BATCH) added.push(...(await dst.commitAdds(items.slice(i, i + MAX_BATCH))));
      } catch (err) {
        // roll back what did not land; what did (an earlier batch) stays, as after a crash
        if (moveId !== undefined) {
          if (added.length) this.touched(userId, null);
          await src.expunge(added.length ? metas.slice(0, added.length).map((m) => m.uid) : [], moveId).catch(() => undefined);
        }
        throw err;
      }
      this.touched(userId, bytes);
      for (const m of added) this.deps.changes.publish(userId, { type: 'message-added', folder: dst.info.name, uid: m.uid, modseq: m.modseq });
      if (move) {
        const res = await src.expunge(metas.map((m) => m.uid), moveId);
        this.touched(userId, -bytes);
        if (res.uids.length) this.deps.changes.publish(userId, { type: 'expunged', folder: src.info.name, uids: res.uids, modseq: res.modseq });
      }
      return { uidValidity: dst.info.uidValidity, pairs: metas.map((m, i) => [m.uid, added[i]!.uid] as [number, number]) };
    });
  }

  /**
   * Path of a message's immutable file, for streaming reads (it may vanish after an expunge;
   * open it and keep the descriptor). The user's mail must be loaded: call folder() first.
   */
  messageFile(userId: string, folder: string, uid: number): string {
    const um = this.loaded(userId);
    if (!um) throw new NotFoundError('Mail not loaded: call folder() first');
    const rec = um.require(folder);
    const a = splitAddress(userId)!;
    return messagePath(mailFolderDir(this.deps.config.mail_root, a.domain, a.user, rec.id), uid);
  }

  /** The stored summary of a message (computed by the mime worker if it was lost). NotFoundError if no such message. */
  async summary(userId: string, folder: string, uid: number): Promise<MessageSummary> {
    const idx = await this.index(userId, folder);
    if (!idx.byUid(uid)) throw new NotFoundError('Message not found');
    let json = await idx.summaryJson(uid);
    if (json !== undefined) {
      try {
        return JSON.parse(json) as MessageSummary;
      } catch {
        json = undefined;
      }
    }
    const summary = await this.deps.pool.run('mime', { file: idx.file(uid) });
    await idx.addSummary(uid, JSON.stringify(summary));
    return summary;
  }

  /**
   * A synchronous reader of a folder's stored summary JSON, the summaries file loaded once first
   * (for FETCH over many messages without an await per message). Answers undefined for a message
   * with no stored summary: use summary() for it (it recomputes).
   */
  async summaryReader(userId: string, folder: string): Promise<(uid: number) => string | undefined> {
    const idx = await this.index(userId, folder);
    await idx.loadSummariesOnce();
    return (uid) => idx.summaryJsonSync(uid);
  }

  /**
   * Summaries of many messages of one folder, same order as `uids` (undefined for a uid not in
   * the folder). Stored ones are read in one synchronous pass; lost ones are recomputed.
   */
  async summaries(userId: string, folder: string, uids: number[]): Promise<(MessageSummary | undefined)[]> {
    const idx = await this.index(userId, folder);
    await idx.loadSummariesOnce();
    const out: (MessageSummary | undefined)[] = new Array(uids.length);
    const missing: number[] = [];
    uids.forEach((uid, i) => {
      if (!idx.byUid(uid)) return;
      const json = idx.summaryJsonSync(uid);
      try {
        if (json !== undefined) out[i] = JSON.parse(json) as MessageSummary;
      } catch {
        /* recomputed below */
      }
      if (!out[i]) missing.push(i);
    });
    for (const i of missing) out[i] = await this.summary(userId, folder, uids[i]!).catch(() => undefined);
    return out;
  }

  /** Mail bytes + drive bytes against quota_mb * 1 MiB. */
  async quota(userId: string): Promise<{ used: number; limit: number }> {
    const u = await this.deps.quota.usage(userId);
    return { used: u.used, limit: u.limit };
  }
}
