/**
 * Loading a folder's index from `index.snap` + `index.log` (reloading it after another process's
 * write), repairing what a crash left (torn lines, lost inline files, leftovers, a damaged index
 * rebuilt from the message files) and compaction into a fresh snapshot. See folder-index.ts for
 * the invariants these keep.
 */
import { promises as fsp, statSync, type Stats } from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeFileDurable } from '../../store/atomic.js';
import { decodeJournal, encodeRecord, type JournalRecord } from '../../store/mail/journal.js';
import { readSnapshot, writeSnapshot } from '../../store/mail/snapshot.js';
import {
  messagePath, removeFiles, listMessageUids, statMessage, exists, fsyncDir, fileCrc, restoreFile, syncFiles,
} from '../../store/mail/files.js';
import type { MessageMeta } from '../../common/mail.js';
import { FolderState, MAX_BATCH, MAX_EXPUNGED } from './folder-state.js';

const COMPACT_MIN = 2_000;
/** A journal this big is folded into a snapshot (it carries the bytes of small appends). */
const JOURNAL_BYTES_MAX = 16 * 1024 * 1024;

/**
 * Fsyncing the inline files ahead of compaction (mutable for tests). Compaction must fsync every
 * file written without fsync since the last one before it empties the journal: about 2,900 small
 * appends' files at 16 MB of journal, 0.3-0.7 s inside the append that triggered it at 100k
 * messages. Once the journal is `near` (a fraction) of compaction, a commit that leaves at least
 * `min` inline files unsynced starts fsyncing them in the background, `chunk` files (then the
 * directory) at a time and `inFlight` at once, so the commits' own journal syncs go on beside
 * them; compaction then fsyncs only the rest (at 100k messages, 3,841 appends of 1-5 KB in: the
 * append that compacted took 78-111 ms against 467-479 ms, the rate and p99 unchanged). The lines
 * keep carrying the bytes until compaction: nothing about what a crash can lose changes.
 */
export const PRESYNC = { near: 0.5, min: 64, inFlight: 4, chunk: 256 };

/** Open, reload, repair and compact a folder's index. */
export class FolderRecovery extends FolderState {
  protected async readState() {
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

  protected async load(): Promise<void> {
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
  protected journalStat(): Stats | null {
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
    this.synced.clear();
    this.sums.drop();
    await this.load();
    this.stale = false;
    return true;
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
  protected async dropMissingTail(records: JournalRecord[], repair: boolean): Promise<void> {
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
  protected async restoreInline(records: JournalRecord[]): Promise<void> {
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
  protected async checkpoint(): Promise<void> {
    if (this.inline.size === 0) return;
    const todo = [...this.inline].filter((u) => !this.synced.has(u));
    if (todo.length) {
      await syncFiles(todo.map((u) => messagePath(this.dir, u)));
      await fsyncDir(this.dir);
    }
    this.inline.clear();
    this.synced.clear();
  }

  /** The background fsync of inline files running (`presync`), or null. */
  private presyncing: Promise<void> | null = null;
  /** Set while the folder's files are being closed: the background fsync stops after its chunk. */
  private presyncStop = false;

  /**
   * Near compaction, fsync the inline files not yet synced (and then the directory) in the
   * background, so the compaction to come has few left to do (see PRESYNC). Errors are left to
   * that compaction, which syncs whatever this did not.
   */
  protected presync(): void {
    if (this.presyncing || this.unsyncedInline < PRESYNC.min || this.compactionProgress() < PRESYNC.near) return;
    const uids = [...this.inline].filter((u) => !this.synced.has(u));
    this.presyncing = (async () => {
      for (let i = 0; i < uids.length; i += PRESYNC.chunk) {
        const chunk = uids.slice(i, i + PRESYNC.chunk).filter((u) => this.inline.has(u)); // none once compacted
        if (chunk.length === 0 || this.presyncStop) break;
        await syncFiles(chunk.map((u) => messagePath(this.dir, u)), PRESYNC.inFlight);
        await fsyncDir(this.dir);
        for (const u of chunk) if (this.inline.has(u)) this.synced.add(u);
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        this.presyncing = null;
      });
  }

  /**
   * Stop a background fsync of inline files after its current chunk, and wait for it (before the
   * folder's files are closed).
   */
  protected async presyncDone(): Promise<void> {
    this.presyncStop = true;
    try {
      await this.presyncing;
    } finally {
      this.presyncStop = false;
    }
  }

  /** Inline files not yet known durable: what the next compaction would have to fsync. */
  get unsyncedInline(): number {
    return this.inline.size - this.synced.size;
  }

  /** Remove `{uid}.eml` files at and above uidNext (never acknowledged). */
  protected async removeLeftovers(): Promise<void> {
    const gone: string[] = [];
    for (let uid = this.info.uidNext; await exists(messagePath(this.dir, uid)); uid++) gone.push(messagePath(this.dir, uid));
    if (gone.length) await removeFiles(gone);
  }

  /**
   * The last expunge's files when a crash cut it between its journal line and the unlinks
   * (nothing is appended to a folder's journal after an expunge before its files are gone, and
   * compaction runs only after, so only the journal's last `x` record can be unfinished).
   */
  protected async removeExpungedLeftovers(records: JournalRecord[]): Promise<void> {
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

  /** True when the journal carries message bytes (files written without fsync since the last compaction). */
  get holdsInline(): boolean {
    return this.inline.size > 0;
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
  protected get compactDue(): boolean {
    return this.compactionProgress() > 1;
  }

  /** How far the journal is towards compaction: records or bytes against their limits (1 = due). */
  private compactionProgress(): number {
    return Math.max(this.journalRecords / Math.max(COMPACT_MIN, this.messages.length / 4), this.log.size / JOURNAL_BYTES_MAX);
  }
}
