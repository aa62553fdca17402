/**
 * A drive transaction (commit.ts): index edits and data files staged by one or more operations
 * and made durable together with one journal line (group commit). A transaction edits copies of
 * the cached indexes whose `children` are an overlay over the cached map, so staging an edit in
 * a directory of any size is O(1); the edits are applied to the cache once durable.
 */
import type { promises as fsp } from 'node:fs';
import type { ChildEntry, DirCounters, DirIndex } from './types.js';

/** A staged data file: renamed from a temp (`from`) or written from memory (`logged` without `from`). */
export interface StagedFile {
  from?: string;
  to: string;
  /** `to` as a drive key (`a/b`), when the caller has it. */
  key?: string;
  /** The temp is already synced (else fdatasync'd at commit unless logged). */
  synced?: boolean;
  /** The still-open temp (synced through it). */
  fh?: fsp.FileHandle;
  /** The whole content of a small upload: logged in the journal line instead of syncing the file. */
  logged?: Buffer;
  /** Nothing was at `to` before this transaction (written in place rather than through a temp). */
  fresh?: boolean;
}

/** One index a transaction loaded: a copy of the cached one with its children overlaid by `edits`, or a new one. */
export interface TxnIndex {
  parts: string[];
  idx: DirIndex;
  /** The cached index the copy was made from (absent: a directory this transaction creates). */
  base?: DirIndex;
  /** Child name -> new entry (undefined: removed), applied to `base` at commit. */
  edits?: Map<string, ChildEntry | undefined>;
}

/**
 * Index edits and data files staged by one or more operations and made durable together (group
 * commit): one journal line for all of them. A batch of uploads in one actor turn shares it.
 */
export class DriveTxn {
  /** Loaded (and possibly edited) indexes by `a/b` key. */
  readonly indexes = new Map<string, TxnIndex>();
  /** Keys of edited indexes. */
  readonly dirty = new Set<string>();
  /** Data files to put in place, in order. */
  readonly renames: StagedFile[] = [];
  /** Parents of created directories (fsync'd before the reply when a large file depends on them, else at the checkpoint). */
  readonly dirs = new Set<string>();
  /** Directories to create at commit, after the journal line is durable (parents first). */
  readonly mkdirs: string[] = [];
  /** Drive paths (`a/b`) whose entries this transaction changes (the intent of a delete/move/copy). */
  readonly touched = new Set<string>();
  /** The journal intent already begun for this transaction (remove, move, copy): indexes are written through. */
  intent?: number;
  /** Data bytes this transaction puts in place. */
  bytes = 0;
}

/** A children map seen through `edits` (reads fall through to `base`; writes and deletes go to `edits`). */
export function overlay(base: Record<string, ChildEntry>, edits: Map<string, ChildEntry | undefined>): Record<string, ChildEntry> {
  const get = (k: string): ChildEntry | undefined => (edits.has(k) ? edits.get(k) : Object.hasOwn(base, k) ? base[k] : undefined);
  return new Proxy({} as Record<string, ChildEntry>, {
    get: (_t, k) => (typeof k === 'string' ? get(k) : undefined),
    set: (_t, k, v: ChildEntry) => (typeof k === 'string' ? (edits.set(k, v), true) : false),
    deleteProperty: (_t, k) => (typeof k === 'string' ? (edits.set(k, undefined), true) : false),
    has: (_t, k) => typeof k === 'string' && get(k) !== undefined,
    ownKeys: () => {
      const keys = Object.keys(base).filter((k) => !edits.has(k) || edits.get(k) !== undefined);
      for (const [k, v] of edits) if (v !== undefined && !Object.hasOwn(base, k)) keys.push(k);
      return keys;
    },
    getOwnPropertyDescriptor: (_t, k) => {
      const v = typeof k === 'string' ? get(k) : undefined;
      return v === undefined ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
    },
  });
}

/** The counters of an index (what a redo line carries besides child entries). */
export const countersOf = (i: DirIndex): DirCounters => ({
  ctag: i.ctag, mtime: i.mtime, self_files: i.self_files, self_dirs: i.self_dirs, self_bytes: i.self_bytes,
  total_files: i.total_files, total_dirs: i.total_dirs, total_bytes: i.total_bytes,
});

