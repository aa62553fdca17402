/**
 * A user's folder list (`mail/folders.json`): stable ids, names, special-use, the IMAP
 * subscriptions (a list of names of its own: RFC 3501 6.3.6, a subscription outlives its folder)
 * and each folder's \Recent floor.
 */
import { readJson, writeJsonDurable } from '../atomic.js';

/** One folder as stored. */
export interface FolderRecord {
  /** Stable id: the folder's directory name; a rename keeps it. */
  id: string;
  /** Full name with `/` separators. */
  name: string;
  specialUse: string | null;
  /** Mirror of `subscriptions` holding this name (written for older readers; the list decides). */
  subscribed: boolean;
  uidValidity: number;
  /**
   * The first uid no IMAP session was told about (RFC 3501 2.3.2 \Recent); saved when a session
   * claims messages (write-behind, see src/imap/recent.ts). Absent in stores written before it:
   * set to UIDNEXT when the folder is first opened.
   */
  recent?: number;
}

/** The stored list. */
export interface FolderList {
  v: 1;
  /** Next id to hand out (ids are never reused, so a re-created folder gets a new UIDVALIDITY). */
  nextId: number;
  /** The last UIDVALIDITY handed out (a re-created folder always gets a bigger one). */
  lastUidValidity: number;
  folders: FolderRecord[];
  /**
   * Subscribed names (RFC 3501 6.3.6), folders or not. Absent in stores written before it: taken
   * from the folders' `subscribed` flags on load (`migrateSubscriptions`).
   */
  subscriptions?: string[];
}

/** Fill `subscriptions` from the per-folder flags of an older list; true when it changed the list. */
export function migrateSubscriptions(list: FolderList): boolean {
  if (list.subscriptions) return false;
  list.subscriptions = list.folders.filter((f) => f.subscribed).map((f) => f.name);
  return true;
}

/** Read the folder list; undefined when the user's mail store does not exist yet. */
export function readFolderList(path: string): Promise<FolderList | undefined> {
  return readJson<FolderList>(path);
}

/** Write the folder list durably (temp + fsync + rename + dir fsync). */
export function writeFolderList(path: string, list: FolderList): Promise<void> {
  return writeJsonDurable(path, list);
}
