/**
 * \Recent bookkeeping (RFC 3501 2.3.2): per folder, the first uid no read-write session has been
 * told about yet. The first session to SELECT the folder (or to be told of a new message while
 * selecting it) after messages arrive sees them \Recent and moves the floor past them; later
 * sessions do not. EXAMINE sessions see \Recent but move nothing.
 *
 * The floors live in memory (one number per folder a session selected since the server started).
 * A folder first selected after a restart starts with its floor at its UIDNEXT: messages that
 * arrived before the restart are not \Recent (reported as a limitation; Dovecot keeps the floor
 * in its index file).
 */

import type { FolderView } from '../common/mail.js';
import { lowerBoundMeta } from './sequence.js';

/** Most folders remembered; past this the map is dropped whole (every floor restarts at UIDNEXT). */
const MAX_FOLDERS = 1_000_000;

/** One user's view of the front end's recent floors (a map shared by all sessions, keyed by user and folder id). */
export class RecentFloors {
  constructor(private readonly floors: Map<string, number>, private readonly user: string) {}

  private key(folderId: string): string {
    return `${this.user}\0${folderId}`;
  }

  /** The floor of a folder; a folder seen for the first time starts (and stays) at `uidNext`. */
  floor(folderId: string, uidNext: number): number {
    const k = this.key(folderId);
    const cur = this.floors.get(k);
    if (cur !== undefined) return cur;
    if (this.floors.size >= MAX_FOLDERS) this.floors.clear();
    this.floors.set(k, uidNext);
    return uidNext;
  }

  /** Move the floor up to `next` (never down). */
  claim(folderId: string, next: number): void {
    const k = this.key(folderId);
    const cur = this.floors.get(k);
    if (cur === undefined || cur < next) this.floors.set(k, next);
  }
}

/** Messages of a folder with uid >= `floor` (what STATUS RECENT reports): one binary search. */
export function countFrom(view: FolderView, floor: number): number {
  const a = view.messages;
  return a.length - lowerBoundMeta(a, a.length, floor);
}
