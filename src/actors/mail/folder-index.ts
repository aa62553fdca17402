/**
 * One folder's in-memory index, loaded from `index.snap` + `index.log` and kept current.
 *
 * Invariants:
 * - Mutating methods run only inside the user's actor turn (`mutate`); each returns after its
 *   journal line is fsync'd, then updates memory in place (readers see only durable state).
 * - `messages` is ascending by uid; `info` is the same object for the life of the index.
 * - Every journal record carries a fresh modseq; replay skips records the snapshot holds, so a
 *   crash between writing a snapshot and emptying the journal is harmless.
 * - A corrupt journal line or snapshot triggers a rebuild from the `{uid}.eml` files (flags
 *   that were only in the lost part are lost; no acknowledged message is).
 * - A small message's journal line carries its bytes (`data`): that line is its only sync before
 *   the ack, its file is written in place without fsync. On open such a file is checked against
 *   the line (size, crc32) and rewritten from it when it did not survive; compaction fsyncs these
 *   files and the directory before it empties the journal (`checkpoint`), and COPY/MOVE fsync
 *   them before hard-linking them elsewhere.
 * - A commit may fsync new message files in the same round as the directory and the journal
 *   (their lines carry the file's crc32 and the commit's record count): on open, the last
 *   commit's files are checked against them and a file whose content did not survive is
 *   dropped with its line (that commit was never acknowledged).
 * - Message files with uid >= uidNext after a clean open are unacknowledged leftovers of a
 *   crash between rename and journal append; they are removed. So are the files of the last
 *   expunge when a crash cut it between its journal line and the unlinks.
 * - A MOVE writes an intent (`m`) into the source journal before linking into the destination;
 *   the intent is retired (`d`) with the source expunge, in the same journal write. An intent
 *   still pending on open is settled by the user's mail (`UserMail`), which sees both folders:
 *   rolled forward where the destination holds the message, rolled back elsewhere.
 */
import { randomInt } from 'node:crypto';
import { promises as fsp, constants as fsc, statSync, openSync, closeSync, fsync, type Stats } from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeFileDurable } from '../../store/atomic.js';
import { JournalFile } from '../../store/mail/journal-file.js';
import { decodeJournal, encodeRecord, type JournalRecord } from '../../store/mail/journal.js';
import { readSnapshot, writeSnapshot, type Snapshot } from '../../store/mail/snapshot.js';
import {
  messagePath, indexFiles, placeFile, linkFile, removeFiles, listMessageUids, statMessage, exists, fsyncDir, fileCrc,
  writeInline, restoreFile, syncFiles, type UnsyncedFile,
} from '../../store/mail/files.js';
import type { FolderRecord } from '../../store/mail/folders.js';
import type { FolderInfo, FolderView, MessageMeta, FlagOp } from '../../common/mail.js';
import { applyFlagOp, sameFlags } from '../../common/flags.js';
import { FolderSummaries } from './summaries.js';

/** A MOVE not known to have finished: source `uids` were to become `dst` uids in folder `to`. */
export interface MoveIntent {
  id: number;
  uids: number[];
  to: string;
  dst: number[];
}

/** A message ready to be committed: a sealed temp file to take over, or a file to hard-link. */
export interface PreparedMessage {
  /**
   * The message itself (small ones): the commit writes its file in place without fsync and
   * carries the bytes in the journal line, the one sync before the acknowledgement.
   */
  data?: Uint8Array;
  /** With `data`: set the file's mtime to `date` (else it is left as written). */
  stampDate?: boolean;
  tmp?: string;
  /** `tmp` (or a hard link of it) is not fsync'd yet: the commit syncs it with the journal. */
  unsynced?: UnsyncedFile;
  linkFrom?: string;
  size: number;
  date: number;
  flags: string[];
  /**
   * The MessageSummary as JSON, or null when it must be computed later; a function is called by
   * the commit once its journal line is on its way (a small message parsed while the line is
   * written).
   */
  summary: string | null | Promise<string | null> | (() => string | null);
}

const MAX_EXPUNGED = 20_000;
const COMPACT_MIN = 2_000;
/** The most messages one commit takes (the service splits bigger batches). */
export const MAX_BATCH = 512;
/** A journal this big is folded into a snapshot (it carries the bytes of small appends). */
const JOURNAL_BYTES_MAX = 16 * 1024 * 1024;

// flags are stored normalized (common/flags.ts), so the canonical spelling is enough
const isSeen = (flags: readonly string[]): boolean => flags.includes('\\Seen');

/** The live index of one folder (also its lock-free FolderView). */
export class FolderIndex implements FolderView {
  readonly info: FolderInfo;
  messages: MessageMeta[] = [];
  /** Bytes of all messages in the folder. */
  bytes = 0;
  /** Set when the last open had to rebuild from the message files. */
  rebuilt = false;
  /** No message below this uid lacks \Seen (see firstUnseenUid). */
  private unseenFrom = 0;
  private expunged: [number, number][] = [];
  /** Move intents written and not retired (by id). */
  private moves = new Map<number, MoveIntent>();
  private journalRecords = 0;
  private readonly log: JournalFile;
  private readonly files: ReturnType<typeof indexFiles>;
  private readonly sums: FolderSummaries;
  /** Inode of the journal we hold open (another process's compaction replaces the file). */
  private journalIno = 0;
  /**
   * Memory may disagree with the disk: a commit failed after some of its writes (its journal
   * line among them, perhaps) were done. The next use reloads from the disk, as after another
   * process's write, so that no uid or modseq of that commit is handed out again.
   */
  private stale = false;
  /** The folder directory, kept open for the per-commit directory fsync. */
  private dirFd: number | null = null;
  /** Directory fsyncs in flight (the descriptor is closed only after them). */
  private dirSyncs = 0;
  /** Closers waiting for those fsyncs. */
  private dirWaiters: (() => void)[] = [];
  /**
   * Uids whose file was written without fsync, its bytes in a journal line (`data`): fsync'd,
   * with the directory, before the journal is emptied (`checkpoint`).
   */
  private inline = new Set<number>();

  private constructor(readonly dir: string, rec: FolderRecord) {
    this.files = indexFiles(dir);
    this.log = new JournalFile(this.files.journal);
    this.sums = new FolderSummaries(this.files.summaries, (uid) => this.byUid(uid) !== undefined);
    this.info = {
      id: rec.id, name: rec.name, specialUse: rec.specialUse, uidValidity: rec.uidValidity, uidNext: 1,
      highestModseq: 1, total: 0, unread: 0, subscribed: rec.subscribed,
    };
  }

  /** Load (and if needed repair) the index of a folder directory. Run inside the actor. */
  static async open(dir: string, rec: FolderRecord): Promise<FolderIndex> {
    const idx = new FolderIndex(dir, rec);
    await fsp.mkdir(dir, { recursive: true });
    await idx.load();
    return idx;
  }

  /** Read-only load (no repair, journal not opened): for totals computed outside the actor. */
  static async peek(dir: string, rec: FolderRecord): Promise<FolderIndex> {
    const idx = new FolderIndex(dir, rec);
    const { j } = await idx.readState();
    await idx.dropMissingTail(j.records, false); // memory only, as open() would (inline files count as restored)
    idx.recount();
    return idx;
  }

  private async readState() {
    const snap = await readSnapshot(this.files.snapshot);
    if (snap && snap !== 'corrupt') this.reset(snap);
    const buf = await fsp.readFile(this.files.journal).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return Buffer.alloc(0);
      throw e;
    });
    const j = decodeJournal(buf);
    for (const r of j.records) this.replay(r);
    this.journalRecords = j.records.length;
    return { snap, j };
  }

  private async load(): Promise<void> {
    const { snap, j } = await this.readState();
    await this.restoreInline(j.records);
    let damaged = snap === 'corrupt';
    if (j.damage === 'corrupt') damaged = true;
    if (damaged) {
      await this.rebuild({ snapshotLost: snap === 'corrupt' });
      return;
    }
    if (j.damage === 'torn') await fsp.truncate(this.files.journal, j.validBytes);
    await this.dropMissingTail(j.records, true);
    await this.removeLeftovers();
    await this.removeExpungedLeftovers(j.records);
    await this.log.open(j.validBytes);
    this.journalIno = (await fsp.stat(this.files.journal)).ino;
    this.recount();
  }

  /** The journal file's stat (null when absent; synchronous: one cached-inode call). */
  private journalStat(): Stats | null {
    try {
      return statSync(this.files.journal, { throwIfNoEntry: false }) ?? null;
    } catch {
      return null;
    }
  }

  /**
   * True when no other process (sharing mail_root, under the same flock) wrote the journal since
   * we last did: the memory is current. Synchronous; call inside the actor turn.
   */
  isCurrent(): boolean {
    const st = this.journalStat();
    return !this.stale && st !== null && st.ino === this.journalIno && this.log.unchanged(st.size);
  }

  /** Reload in place unless `isCurrent()`. Call inside the actor turn; answers true when reloaded. */
  async refresh(): Promise<boolean> {
    if (this.isCurrent()) return false;
    await this.log.close();
    this.messages = [];
    this.expunged = [];
    this.moves.clear();
    this.info.uidNext = 1;
    this.info.highestModseq = 1;
    this.journalRecords = 0;
    this.inline.clear();
    this.sums.drop();
    await this.load();
    this.stale = false;
    return true;
  }

  private reset(s: Snapshot): void {
    this.info.uidNext = s.uidNext;
    this.info.highestModseq = s.highestModseq;
    this.expunged = s.expunged;
    this.messages = s.messages;
  }

  private replay(r: JournalRecord): void {
    if (r.t === 'm') {
      this.moves.set(r.id, { id: r.id, uids: r.uids, to: r.to, dst: r.dst });
      return;
    }
    if (r.t === 'd') {
      this.moves.delete(r.id);
      return;
    }
    if (r.modseq <= this.info.highestModseq) return;
    this.info.highestModseq = r.modseq;
    if (r.t === 'a') {
      if (this.byUid(r.uid)) return;
      const m: MessageMeta = { uid: r.uid, modseq: r.modseq, internalDate: r.date, size: r.size, flags: r.flags };
      const last = this.messages[this.messages.length - 1];
      this.messages.push(m);
      if (last && last.uid > m.uid) this.messages.sort((a, b) => a.uid - b.uid);
      if (r.uid >= this.info.uidNext) this.info.uidNext = r.uid + 1;
    } else if (r.t === 'f') {
      const m = this.byUid(r.uid);
      if (m) {
        m.flags = r.flags;
        m.modseq = r.modseq;
      }
    } else {
      const gone = new Set(r.uids.filter((u) => this.byUid(u)));
      if (gone.size) this.messages = this.messages.filter((m) => !gone.has(m.uid));
      for (const u of r.uids) this.expunged.push([u, r.modseq]);
    }
  }

  /**
   * Reconcile the index with the message files, then write a fresh snapshot and journal (inside
   * the actor, or holding the user's flock). Index entries without a file are dropped. A file the
   * index does not list is removed when the index says it was expunged, or when `trusted` (the
   * index loaded undamaged, so an unlisted file was never acknowledged or was expunged);
   * otherwise (a damaged index) it is taken in as a message, so no acknowledged message is lost.
   */
  async rebuild(opts: { trusted?: boolean; snapshotLost?: boolean } = {}): Promise<void> {
    this.rebuilt = true;
    const uids = await listMessageUids(this.dir);
    const onDisk = new Set(uids);
    this.messages = this.messages.filter((m) => onDisk.has(m.uid));
    const known = new Set(this.messages.map((m) => m.uid));
    const expunged = new Set(this.expunged.map(([u]) => u));
    const garbage: string[] = [];
    const modseq = this.info.highestModseq + 1;
    for (const uid of uids) {
      if (known.has(uid)) continue;
      if (opts.trusted || expunged.has(uid)) {
        garbage.push(messagePath(this.dir, uid));
        continue;
      }
      const st = await statMessage(messagePath(this.dir, uid));
      if (!st) continue;
      const m: MessageMeta = { uid, modseq, internalDate: st.mtimeMs, size: st.size, flags: [] };
      this.messages.push(m);
      if (uid >= this.info.uidNext) this.info.uidNext = uid + 1;
    }
    if (opts.snapshotLost) this.expunged = [];
    this.messages.sort((a, b) => a.uid - b.uid);
    this.info.highestModseq = modseq;
    await this.compact();
    if (garbage.length) {
      await removeFiles(garbage);
      await fsyncDir(this.dir);
    }
    this.recount();
  }

  /**
   * The last commit's files may not have reached the disk when its journal line did (the
   * fsyncs run together; neither was acknowledged). Drop trailing added messages without a
   * file, and those of the last commit whose file's size or crc32 is not what its line says
   * (their files are removed when `repair`).
   */
  private async dropMissingTail(records: JournalRecord[], repair: boolean): Promise<void> {
    const gone = new Set<number>();
    const bad: string[] = [];
    const last = records[records.length - 1];
    const checked = last?.t === 'a' && last.crc !== undefined ? Math.min(last.n ?? 1, MAX_BATCH) : 0;
    for (let i = records.length - 1, n = 0; i >= 0 && n < MAX_BATCH; i--, n++) {
      const r = records[i]!;
      if (r.t !== 'a') break;
      if (!this.byUid(r.uid) || r.data !== undefined) continue; // an inline file is restored from its line
      const path = messagePath(this.dir, r.uid);
      if (n < checked && r.crc !== undefined) {
        const f = await fileCrc(path);
        if (!f) gone.add(r.uid);
        else if (f.size !== r.size || f.crc !== r.crc) {
          gone.add(r.uid);
          bad.push(path);
        }
      } else if (!(await exists(path))) gone.add(r.uid);
    }
    if (repair && bad.length) {
      await removeFiles(bad);
      await fsyncDir(this.dir);
    }
    if (gone.size === 0) return;
    this.messages = this.messages.filter((m) => !gone.has(m.uid));
  }

  /**
   * Files of messages whose journal line carries their bytes were written without fsync: each
   * one still listed is checked against its line's size and crc32 and, when it did not survive,
   * rewritten from the line. They stay in `inline` until the next checkpoint.
   */
  private async restoreInline(records: JournalRecord[]): Promise<void> {
    let restored = false;
    for (const r of records) {
      if (r.t !== 'a' || r.data === undefined || !this.byUid(r.uid)) continue;
      this.inline.add(r.uid);
      const path = messagePath(this.dir, r.uid);
      const f = await fileCrc(path);
      if (f && f.size === r.size && f.crc === r.crc) continue;
      const data = Buffer.from(r.data, 'base64');
      if (crc32(data) !== r.crc) continue; // cannot happen: the line's own crc covers it
      await restoreFile(path, data, r.date);
      restored = true;
    }
    if (restored) await fsyncDir(this.dir);
  }

  /** Make the inline files durable (their fsync and the directory's), so the journal may be emptied. */
  private async checkpoint(): Promise<void> {
    if (this.inline.size === 0) return;
    await syncFiles([...this.inline].map((u) => messagePath(this.dir, u)));
    await fsyncDir(this.dir);
    this.inline.clear();
  }

  /** fsync the inline files among `uids` (before they are hard-linked elsewhere by COPY or MOVE). */
  async syncMessages(uids: number[]): Promise<void> {
    const todo = uids.filter((u) => this.inline.has(u));
    if (todo.length === 0) return;
    await syncFiles(todo.map((u) => messagePath(this.dir, u)));
  }

  /** Remove `{uid}.eml` files at and above uidNext (never acknowledged). */
  private async removeLeftovers(): Promise<void> {
    const gone: string[] = [];
    for (let uid = this.info.uidNext; await exists(messagePath(this.dir, uid)); uid++) gone.push(messagePath(this.dir, uid));
    if (gone.length) await removeFiles(gone);
  }

  /**
   * The last expunge's files when a crash cut it between its journal line and the unlinks
   * (nothing is appended to a folder's journal after an expunge before its files are gone, and
   * compaction runs only after, so only the journal's last `x` record can be unfinished).
   */
  private async removeExpungedLeftovers(records: JournalRecord[]): Promise<void> {
    let last: number[] = [];
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i]!;
      if (r.t === 'x') {
        last = r.uids;
        break;
      }
    }
    const left: string[] = [];
    for (const uid of last) {
      if (!this.byUid(uid) && (await exists(messagePath(this.dir, uid)))) left.push(messagePath(this.dir, uid));
    }
    if (left.length === 0) return;
    await removeFiles(left);
    await fsyncDir(this.dir);
  }

  private recount(): void {
    let bytes = 0;
    let unread = 0;
    for (const m of this.messages) {
      bytes += m.size;
      if (!isSeen(m.flags)) unread++;
    }
    this.bytes = bytes;
    this.info.total = this.messages.length;
    this.info.unread = unread;
    this.unseenFrom = 0;
  }

  /**
   * FolderView: uid of the first message without \Seen. `unseenFrom` is a lower bound of the
   * unseen uids (lowered wherever a message becomes unseen), so the seen prefix is scanned once.
   */
  firstUnseenUid(): number | undefined {
    if (this.info.unread === 0) return undefined;
    const a = this.messages;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.uid < this.unseenFrom) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < a.length; i++) {
      if (!isSeen(a[i]!.flags)) {
        this.unseenFrom = a[i]!.uid;
        return this.unseenFrom;
      }
    }
    this.unseenFrom = this.info.uidNext;
    return undefined;
  }

  /** Write the snapshot and start an empty journal (inside the actor, nothing in flight). */
  async compact(): Promise<void> {
    await this.checkpoint();
    await this.log.close();
    await writeSnapshot(this.files.snapshot, {
      uidValidity: this.info.uidValidity, uidNext: this.info.uidNext, highestModseq: this.info.highestModseq,
      expunged: this.expunged.slice(-MAX_EXPUNGED),
    }, this.messages);
    // a move intent still pending lives on in the fresh journal (it carries no modseq)
    const pending = this.pendingMoves();
    this.moves = new Map(pending.map((mv) => [mv.id, mv]));
    const fresh = pending.map((mv) => encodeRecord({ t: 'm', ...mv })).join('');
    await writeFileDurable(this.files.journal, fresh);
    this.journalIno = (await fsp.stat(this.files.journal)).ino;
    this.journalRecords = pending.length;
    this.expunged = this.expunged.slice(-MAX_EXPUNGED);
    await this.sums.compact(this.messages);
    await this.log.open(Buffer.byteLength(fresh));
  }

  /** True when the journal has grown enough to be folded into a fresh snapshot (`compact`). */
  private get compactDue(): boolean {
    return this.journalRecords > Math.max(COMPACT_MIN, this.messages.length / 4) || this.log.size > JOURNAL_BYTES_MAX;
  }

  /** FolderView: the message with this uid (binary search: `messages` is ascending). */
  byUid(uid: number): MessageMeta | undefined {
    const a = this.messages;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = a[mid]!.uid;
      if (u === uid) return a[mid];
      if (u < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** FolderView: uids expunged with a modseq above `modseq` (bounded history of 20,000). */
  expungedSince(modseq: number): number[] {
    return this.expunged.filter(([, ms]) => ms > modseq).map(([uid]) => uid);
  }

  /** Path of a message file. */
  file(uid: number): string {
    return messagePath(this.dir, uid);
  }

  /** Take over prepared messages as new uids: place files, one dir fsync, one journal write. */
  async commitAdds(items: PreparedMessage[]): Promise<MessageMeta[]> {
    const placed: string[] = [];
    const metas: MessageMeta[] = [];
    let uid = this.info.uidNext;
    let modseq = this.info.highestModseq;
    let journal: Promise<void> | undefined;
    const written: Promise<void>[] = [];
    try {
      for (const it of items) {
        metas.push({ uid, modseq: ++modseq, internalDate: it.date, size: it.size, flags: it.flags });
        uid++;
      }
      // A line that carries its message's bytes (`data`) is that message's only sync before the
      // ack, so its file is written in place without fsync, while the line is on its way (either
      // order is safe: a line without its file is restored on open, a file without its line is a
      // leftover removed on open).
      const inline = items.some((it) => it.data);
      const lines = metas.map((m, i) => {
        const it = items[i]!;
        const f = it.unsynced;
        const extra = it.data ? { crc: crc32(it.data), n: items.length, data: Buffer.from(it.data.buffer, it.data.byteOffset, it.data.byteLength).toString('base64') }
          : f ? { crc: f.crc, n: items.length } : {};
        return encodeRecord({ t: 'a', uid: m.uid, modseq: m.modseq, date: m.internalDate, size: m.size, flags: m.flags, ...extra });
      }).join('');
      if (inline) journal = this.log.append(lines, true);
      let placedAny = false;
      items.forEach((it, i) => {
        const dest = messagePath(this.dir, metas[i]!.uid);
        if (it.data) written.push(writeInline(dest, it.data, it.stampDate ? it.date : null));
        else {
          if (it.linkFrom) linkFile(it.linkFrom, dest);
          else placeFile(it.tmp!, dest);
          placedAny = true;
        }
        placed.push(dest);
      });
      // The files' (unsynced ones, issued when they were written), the directory's and the
      // journal's syncs run together: the ack waits for all, and a journal line whose file did
      // not survive a crash is dropped on open (dropMissingTail). The directory's fsync is issued
      // first, so that the journal line, written from the loop when it can afford the wait
      // (JournalFile.append), runs beside it: one thread-pool round trip fewer per commit.
      const syncs = new Set<UnsyncedFile>();
      for (const it of items) if (it.unsynced) syncs.add(it.unsynced);
      // inline files need neither their fsync nor the directory's now
      const dir = placedAny ? this.syncDir() : undefined;
      const files = [...syncs].map((f) => f.sync());
      journal ??= this.log.append(lines);
      // a summary still being computed by the mime worker is awaited here, beside the syncs
      const sums = Promise.all(items.map((it) => (typeof it.summary === 'function' ? it.summary() : it.summary))).then((js) => this.sums.append(js.map((json, i) => [metas[i]!.uid, json])));
      await Promise.all([dir, ...files, ...written, sums, journal]);
      items.forEach((it, i) => {
        if (it.data) this.inline.add(metas[i]!.uid);
      });
    } catch (err) {
      this.stale = true;
      await Promise.allSettled(written);
      await removeFiles(placed);
      // a line that carries its message's bytes would bring the file back on the reload: retire it
      const inlined = metas.filter((_, i) => items[i]!.data).map((m) => m.uid);
      if (journal && inlined.length && (await journal.then(() => true, () => false))) {
        await this.log.append(encodeRecord({ t: 'x', modseq: modseq + 1, uids: inlined })).catch(() => undefined);
      }
      throw err;
    }
    for (const m of metas) {
      this.messages.push(m);
      this.bytes += m.size;
      if (!isSeen(m.flags)) {
        this.info.unread++;
        this.unseenFrom = Math.min(this.unseenFrom, m.uid);
      }
    }
    this.info.total = this.messages.length;
    this.info.uidNext = uid;
    this.info.highestModseq = modseq;
    this.journalRecords += metas.length;
    if (this.compactDue) await this.compact();
    return metas;
  }

  /** Change flags (one journal line per changed message, one write); skips unchanged ones. */
  async setFlags(uids: number[], op: FlagOp, flags: string[], unchangedSince?: number): Promise<{ changed: MessageMeta[]; modifiedFailed: number[] }> {
    const modifiedFailed: number[] = [];
    const recs: { m: MessageMeta; flags: string[]; modseq: number }[] = [];
    let modseq = this.info.highestModseq;
    for (const uid of uids) {
      const m = this.byUid(uid);
      if (!m) continue;
      if (unchangedSince !== undefined && m.modseq > unchangedSince) {
        modifiedFailed.push(uid);
        continue;
      }
      const next = applyFlagOp(m.flags, op, flags);
      if (sameFlags(next, m.flags)) continue;
      recs.push({ m, flags: next, modseq: ++modseq });
    }
    if (recs.length === 0) return { changed: [], modifiedFailed };
    await this.log.append(recs.map((r) => encodeRecord({ t: 'f', uid: r.m.uid, modseq: r.modseq, flags: r.flags })).join(''));
    for (const r of recs) {
      const wasSeen = isSeen(r.m.flags);
      r.m.flags = r.flags;
      r.m.modseq = r.modseq;
      const seen = isSeen(r.flags);
      if (wasSeen && !seen) {
        this.info.unread++;
        this.unseenFrom = Math.min(this.unseenFrom, r.m.uid);
      }
      if (!wasSeen && seen) this.info.unread--;
    }
    this.info.highestModseq = modseq;
    this.journalRecords += recs.length;
    if (this.compactDue) await this.compact();
    return { changed: recs.map((r) => r.m), modifiedFailed };
  }

  /**
   * Record a move intent before the destination gets the messages (one journal line, fsync'd).
   * `dst` are the uids the destination will give them. Answers the intent id for `expunge`.
   */
  async intendMove(uids: number[], to: string, dst: number[]): Promise<number> {
    const mv: MoveIntent = { id: randomInt(1, 2 ** 47), uids, to, dst };
    await this.log.append(encodeRecord({ t: 'm', ...mv }));
    this.moves.set(mv.id, mv);
    this.journalRecords += 1;
    return mv.id;
  }

  /** Move intents whose source messages are still here (to settle after a crash). */
  pendingMoves(): MoveIntent[] {
    return [...this.moves.values()].filter((mv) => mv.uids.some((u) => this.byUid(u)));
  }

  /**
   * Remove messages: journal line first, then the files. Answers the uids removed. `moveId`
   * retires that move intent in the same journal write (also when nothing is removed: a rollback).
   */
  async expunge(uids: number[], moveId?: number): Promise<{ uids: number[]; modseq: number }> {
    const gone = [...new Set(uids)].filter((u) => this.byUid(u)).sort((a, b) => a - b);
    const retire = moveId !== undefined && this.moves.has(moveId) ? encodeRecord({ t: 'd', id: moveId }) : '';
    if (gone.length === 0) {
      if (retire) {
        await this.log.append(retire);
        this.moves.delete(moveId!);
        this.journalRecords += 1;
      }
      return { uids: [], modseq: this.info.highestModseq };
    }
    const modseq = this.info.highestModseq + 1;
    await this.log.append(encodeRecord({ t: 'x', modseq, uids: gone }) + retire);
    if (retire) this.moves.delete(moveId!);
    const set = new Set(gone);
    for (const u of gone) {
      const m = this.byUid(u)!;
      this.bytes -= m.size;
      if (!isSeen(m.flags)) this.info.unread--;
      this.expunged.push([u, modseq]);
    }
    this.messages = this.messages.filter((m) => !set.has(m.uid));
    this.sums.expunged(gone);
    this.info.total = this.messages.length;
    this.info.highestModseq = modseq;
    this.journalRecords += 1;
    if (this.expunged.length > 2 * MAX_EXPUNGED) this.expunged = this.expunged.slice(-MAX_EXPUNGED);
    await removeFiles(gone.map((u) => messagePath(this.dir, u)));
    if (this.compactDue) await this.compact();
    return { uids: gone, modseq };
  }

  /** The stored summary JSON of a message, or undefined when missing (compute and `addSummary`). */
  summaryJson(uid: number): Promise<string | undefined> {
    return this.sums.get(uid);
  }

  /** The stored summary JSON if the summaries are loaded (sync; undefined when not loaded or missing). */
  summaryJsonSync(uid: number): string | undefined {
    return this.sums.getSync(uid);
  }

  /** Load the summaries file now (once). */
  loadSummariesOnce(): Promise<void> {
    return this.sums.loadOnce();
  }

  /** Store a summary computed after the fact (not fsync'd: it can always be recomputed). */
  addSummary(uid: number, json: string): Promise<void> {
    return this.sums.append([[uid, json]]);
  }

  /** Rename in place (the directory keeps its id). */
  rename(name: string): void {
    this.info.name = name;
  }

  /**
   * fsync the folder directory through the descriptor kept open for it. Issued before this
   * returns (no await before the call), so a journal write made right after runs beside it.
   */
  private syncDir(): Promise<void> {
    let fd: number;
    try {
      fd = this.dirFd ??= openSync(this.dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    } catch (err) {
      return Promise.reject(err);
    }
    this.dirSyncs++;
    return new Promise<void>((resolve, reject) => fsync(fd, (err) => {
      if (--this.dirSyncs === 0) for (const w of this.dirWaiters.splice(0)) w();
      if (err) reject(err);
      else resolve();
    }));
  }

  private async closeFiles(): Promise<void> {
    if (this.dirSyncs > 0) await new Promise<void>((r) => this.dirWaiters.push(r));
    const fd = this.dirFd;
    this.dirFd = null;
    if (fd !== null) closeSync(fd);
    await Promise.all([this.log.close(), this.sums.close()]);
  }

  /** Close the journal and the other open files while idle (the next write reopens them). */
  async closeLog(): Promise<void> {
    await this.closeFiles();
  }

  /** Close the journal and the other open files. */
  async close(): Promise<void> {
    await this.closeFiles();
  }
}
