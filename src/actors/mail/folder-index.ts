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
import { promises as fsp, constants as fsc, openSync, closeSync, fsync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { encodeRecord } from '../../store/mail/journal.js';
import {
  messagePath, placeFile, linkFile, removeFiles, writeInline, syncFiles, type UnsyncedFile,
} from '../../store/mail/files.js';
import type { FolderRecord } from '../../store/mail/folders.js';
import type { MessageMeta, FlagOp } from '../../common/mail.js';
import { applyFlagOp, sameFlags } from '../../common/flags.js';
import { MAX_EXPUNGED, isSeen, type MoveIntent } from './folder-state.js';
import { FolderRecovery } from './folder-recovery.js';

export { MAX_BATCH, type MoveIntent } from './folder-state.js';

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

/** The live index of one folder (also its lock-free FolderView). */
export class FolderIndex extends FolderRecovery {
  /** The folder directory, kept open for the per-commit directory fsync. */
  private dirFd: number | null = null;
  /** Directory fsyncs in flight (the descriptor is closed only after them). */
  private dirSyncs = 0;
  /** Closers waiting for those fsyncs. */
  private dirWaiters: (() => void)[] = [];

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
    for (const r of j.records) if (r.t === 'a' && r.data !== undefined && idx.byUid(r.uid)) idx.inline.add(r.uid);
    idx.recount();
    return idx;
  }

  /** True when the message's journal line carries its bytes (its file is restored from it on open). */
  restorable(uid: number): boolean {
    return this.inline.has(uid);
  }

  /** fsync the inline files among `uids` (before they are hard-linked elsewhere by COPY or MOVE). */
  async syncMessages(uids: number[]): Promise<void> {
    const todo = uids.filter((u) => this.inline.has(u) && !this.synced.has(u));
    if (todo.length === 0) return;
    await syncFiles(todo.map((u) => messagePath(this.dir, u)));
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
    else this.presync();
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
    await this.presyncDone();
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
