/**
 * The shapes of a drive's files (reference.md "Drive" storage layout): the child entries and
 * counters of a directory's `_index.json`, and `drive/_meta.json`. Pure types and constructors.
 */

/** A file's entry in its directory's `_index.json`. */
export interface FileEntry {
  type: 'file';
  size: number;
  etag: string;
  mtime: number;
  content_type: string;
  /** WebDAV dead properties: `{ns}name` -> XML value fragment. */
  props?: Record<string, string>;
}

/** A sub-directory's entry in its parent's `_index.json`. */
export interface DirEntry {
  type: 'dir';
  mtime: number;
  props?: Record<string, string>;
}

/** One child entry. */
export type ChildEntry = FileEntry | DirEntry;

/** A directory's change counter, mtime and its self (one level) and total (recursive) counters. */
export interface DirCounters {
  ctag: number;
  mtime: number;
  self_files: number;
  self_dirs: number;
  self_bytes: number;
  total_files: number;
  total_dirs: number;
  total_bytes: number;
}

/** `_index.json` of one directory. */
export interface DirIndex extends DirCounters {
  version: 1;
  name: string;
  children: Record<string, ChildEntry>;
  /** Dead properties of the drive root (other directories keep theirs in the parent's entry). */
  props?: Record<string, string>;
}

/** `drive/_meta.json`. */
export interface DriveMeta {
  ctag: number;
  sync_token: number;
  total_files: number;
  total_dirs: number;
  total_bytes: number;
}

/** A change of recursive totals. */
export interface Delta {
  files: number;
  dirs: number;
  bytes: number;
}

/** The file name of a directory's index. */
export const INDEX = '_index.json';
/** Milliseconds as seconds with 4 decimals (as `_index.json` stores mtimes). */
export const secsOf = (ms: number): number => Math.round(ms * 10) / 10000;
/** Now, in seconds with 4 decimals. */
export const now = (): number => secsOf(Date.now());

/** A fresh, empty directory index. */
export const emptyIndex = (name: string, mtime = now()): DirIndex => ({
  version: 1, name, ctag: 1, mtime,
  self_files: 0, self_dirs: 0, self_bytes: 0, total_files: 0, total_dirs: 0, total_bytes: 0, children: {},
});
