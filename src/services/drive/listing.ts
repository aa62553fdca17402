/**
 * The CONTRACT.md JSON shapes of drive entries: a directory listing (`GET /drive/{dir}`,
 * PROPFIND) and a file's metadata. Pure: built from a store index or entry, `props` left out.
 */
import type { ChildEntry, DirCounters, DirIndex, FileEntry } from '../../store/drive/types.js';

/** One child in a directory listing (CONTRACT.md shape). */
export type ListingChild = { name: string } & Omit<ChildEntry, 'props'>;

/** `GET /drive/{dir}` / `PROPFIND` JSON for a directory (CONTRACT.md). */
export interface DirListing extends DirCounters {
  path: string;
  type: 'dir';
  children: ListingChild[];
}

/** PROPFIND JSON for a file. */
export type FileInfo = { path: string; name: string } & Omit<FileEntry, 'props'>;

/** The CONTRACT.md listing of a directory index. */
export function toListing(path: string, idx: DirIndex): DirListing {
  const children: ListingChild[] = Object.entries(idx.children)
    .sort(([a, ea], [b, eb]) => (ea.type === eb.type ? (a < b ? -1 : a > b ? 1 : 0) : ea.type === 'dir' ? -1 : 1))
    .map(([name, e]) => {
      const { props: _p, ...rest } = e;
      return { name, ...rest };
    });
  return {
    path, type: 'dir', ctag: idx.ctag, mtime: idx.mtime,
    self_files: idx.self_files, self_dirs: idx.self_dirs, self_bytes: idx.self_bytes,
    total_files: idx.total_files, total_dirs: idx.total_dirs, total_bytes: idx.total_bytes, children,
  };
}
