/**
 * The in-memory state of one folder's index and its read side (FolderView): the fields, replaying
 * journal records into them, and the lookups readers use without the actor. The chain
 * FolderState -> FolderRecovery (open, reload, repair, compaction) -> FolderIndex (the writes)
 * is one class split along its seams; folder-index.ts states the invariants.
 */
import { JournalFile } from '../../store/mail/journal-file.js';
import type { JournalRecord } from '../../store/mail/journal.js';
import type { Snapshot } from '../../store/mail/snapshot.js';
import { messagePath, indexFiles } from '../../store/mail/files.js';
import type { FolderRecord } from '../../store/mail/folders.js';
import type { FolderInfo, FolderView, MessageMeta } from '../../common/mail.js';
import { FolderSummaries } from './summaries.js';

/** A MOVE not known to have finished: source `uids` were to become `dst` uids in folder `to`. */
export interface MoveIntent {
  id: number;
  uids: number[];
  to: string;
  dst: number[];
}

export const MAX_EXPUNGED = 20_000;
/** The most messages one commit takes (the service splits bigger batches). */
export const MAX_BATCH = 512;

// flags are stored normalized (common/flags.ts), so the canonical spelling is enough
export const isSeen = (flags: readonly string[]): boolean => flags.includes('\\Seen');

/** A folder's index state and lock-free read view. */
export class FolderState implements FolderView {
  readonly info: FolderInfo;
  messages: MessageMeta[] = [];
  /** Bytes of all messages in the folder. */
  bytes = 0;
  /** Set when the last open had to rebuild from the message files. */
  rebuilt = false;
  /** No message below this uid lacks \Seen (see firstUnseenUid). */
  protected unseenFrom = 0;
  protected expunged: [number, number][] = [];
  /** Move intents written and not retired (by id). */
  protected moves = new Map<number, MoveIntent>();
  protected journalRecords = 0;
  protected readonly log: JournalFile;
  protected readonly files: ReturnType<typeof indexFiles>;
  protected readonly sums: FolderSummaries;
  /** Inode of the journal we hold open (another process's compaction replaces the file). */
  protected journalIno = 0;
  /**
   * Memory may disagree with the disk: a commit failed after some of its writes (its journal
   * line among them, perhaps) were done. The next use reloads from the disk, as after another
   * process's write, so that no uid or modseq of that commit is handed out again.
   */
  protected stale = false;
  /**
   * Uids whose file was written without fsync, its bytes in a journal line (`data`): fsync'd,
   * with the directory, before the journal is emptied (`checkpoint`).
   */
  protected inline = new Set<number>();
  /**
   * Those of `inline` whose file and directory entry were fsync'd ahead of the checkpoint, in the
   * background, as the journal neared compaction (`presync`); their lines still carry the bytes.
   */
  protected synced = new Set<number>();

  protected constructor(readonly dir: string, rec: FolderRecord) {
    this.files = indexFiles(dir);
    this.log = new JournalFile(this.files.journal);
    this.sums = new FolderSummaries(this.files.summaries, (uid) => this.byUid(uid) !== undefined);
    this.info = {
      id: rec.id, name: rec.name, specialUse: rec.specialUse, uidValidity: rec.uidValidity, uidNext: 1,
      highestModseq: 1, total: 0, unread: 0, subscribed: rec.subscribed, recent: rec.recent,
    };
  }

  protected reset(s: Snapshot): void {
    this.info.uidNext = s.uidNext;
    this.info.highestModseq = s.highestModseq;
    this.expunged = s.expunged;
    this.messages = s.messages;
  }

  protected replay(r: JournalRecord): void {
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

  protected recount(): void {
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

  /** Move intents whose source messages are still here (to settle after a crash). */
  pendingMoves(): MoveIntent[] {
    return [...this.moves.values()].filter((mv) => mv.uids.some((u) => this.byUid(u)));
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
}
