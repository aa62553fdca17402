/**
 * \Recent bookkeeping (RFC 3501 2.3.2): per folder, the floor: the first uid no read-write session
 * has been told about yet. The first session to SELECT the folder (or to be told of a new message
 * while selecting it) sees the messages at or above the floor \Recent and moves the floor past
 * them; later sessions do not. EXAMINE sessions see \Recent but move nothing (RFC 3501 6.3.2).
 *
 * The floors live in memory (one number per folder a session selected since the server started)
 * and in the folder list (`FolderRecord.recent`, seen here as `FolderInfo.recent`): a folder
 * first seen in this process starts from the stored floor, so mail delivered while no session
 * selected the folder, before a restart or by another process, is \Recent to the first session
 * that selects it (as with Dovecot's index). A new folder's floor is 1; a store written before the
 * floor was kept starts at the UIDNEXT its folder had when first opened.
 *
 * Claims are saved write-behind: each user's raised floors are gathered and saved (one durable
 * write of the folder list) `SAVE_DELAY_MS` after the first, and when the front end closes. No
 * SELECT or IDLE waits for it, but the write runs in the user's actor turn, so the user's next
 * write (an APPEND) queues behind its fsyncs: with a 1 s delay that cost a busy APPEND session a
 * visible share of its rate on the loaded bench machine, hence 30 s. A crash in between loses at
 * most that last delay's claims: those messages are \Recent once more to the next session (never
 * the other way round).
 */

import type { FolderView } from '../common/mail.js';
import { lowerBoundMeta } from './sequence.js';

/** Most folders remembered; past this the map is dropped whole (floors restart from the stored ones). */
const MAX_FOLDERS = 1_000_000;

/** How long raised floors wait to be saved together (see above). */
export const SAVE_DELAY_MS = 30_000;

/** Saves one user's raised floors (folder id -> floor). */
export type SaveFloors = (userId: string, floors: ReadonlyMap<string, number>) => Promise<void>;

/** The front end's floors, shared by all sessions: memory keyed by user and folder id, saved write-behind. */
export class RecentBook {
  private readonly floors = new Map<string, number>();
  /** Raised floors not saved yet, per user. */
  private pending = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly save: SaveFloors, private readonly onError: (err: unknown) => void = () => {}) {}

  /** The floor of a folder; a folder seen for the first time starts at its stored floor (else `uidNext`). */
  floor(userId: string, view: FolderView): number {
    const k = `${userId}\0${view.info.id}`;
    const cur = this.floors.get(k);
    if (cur !== undefined) return cur;
    if (this.floors.size >= MAX_FOLDERS) this.floors.clear();
    const start = Math.min(view.info.recent ?? view.info.uidNext, view.info.uidNext);
    this.floors.set(k, start);
    return start;
  }

  /** Move a folder's floor up to `next` (never down); saved within `SAVE_DELAY_MS`. */
  claim(userId: string, folderId: string, next: number): void {
    const k = `${userId}\0${folderId}`;
    const cur = this.floors.get(k);
    if (cur !== undefined && cur >= next) return;
    this.floors.set(k, next);
    let mine = this.pending.get(userId);
    if (!mine) this.pending.set(userId, (mine = new Map()));
    mine.set(folderId, next);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, SAVE_DELAY_MS);
  }

  /** Save every raised floor now (the timer's work; also on close). Errors go to `onError`. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = new Map();
    this.saving = this.saving.then(async () => {
      for (const [user, floors] of batch) {
        try {
          await this.save(user, floors);
        } catch (err) {
          this.onError(err);
        }
      }
    });
    return this.saving;
  }
}

/** One user's view of the book (what a session holds). */
export class RecentFloors {
  constructor(private readonly book: RecentBook, private readonly user: string) {}

  /** The floor of a folder (see RecentBook.floor). */
  floor(view: FolderView): number {
    return this.book.floor(this.user, view);
  }

  /** Move the floor up to `next` (never down). */
  claim(folderId: string, next: number): void {
    this.book.claim(this.user, folderId, next);
  }
}

/** Messages of a folder with uid >= `floor` (what STATUS RECENT reports): one binary search. */
export function countFrom(view: FolderView, floor: number): number {
  const a = view.messages;
  return a.length - lowerBoundMeta(a, a.length, floor);
}
