/** A user's folder list (`mail/folders.json`): stable ids, names, special-use, subscription. */
import { readJson, writeJsonDurable } from '../atomic.js';

/** One folder as stored. */
export interface FolderRecord {
  /** Stable id: the folder's directory name; a rename keeps it. */
  id: string;
  /** Full name with `/` separators. */
  name: string;
  specialUse: string | null;
  subscribed: boolean;
  uidValidity: number;
}

/** The stored list. */
export interface FolderList {
  v: 1;
  /** Next id to hand out (ids are never reused, so a re-created folder gets a new UIDVALIDITY). */
  nextId: number;
  /** The last UIDVALIDITY handed out (a re-created folder always gets a bigger one). */
  lastUidValidity: number;
  folders: FolderRecord[];
}

/** Read the folder list; undefined when the user's mail store does not exist yet. */
export function readFolderList(path: string): Promise<FolderList | undefined> {
  return readJson<FolderList>(path);
}

/** Write the folder list durably (temp + fsync + rename + dir fsync). */
export function writeFolderList(path: string, list: FolderList): Promise<void> {
  return writeJsonDurable(path, list);
}
