/**
 * Indexes recomputed from the files on disk (DESIGN.md "Durability"): after unfinished `begin`
 * intents (delete, move, copy) the nearest indexed ancestor of each named path is reconciled
 * against its directory (those paths rehashed, a named directory rebuilt from a walk), every
 * ancestor recounted and `_meta.json` rewritten (rollForward); `rebuildTree` does the same for
 * the whole tree (`rmail verify --fix`); `walkTotals` counts a tree for checks.
 *
 * Invariants: callers hold the drive's `_index.lock`; every index written here is durable
 * (temp + fsync + rename + dir fsync) before the caller clears the journal.
 */
import { promises as fsp, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeJsonDurable, readJson, fsyncDir } from '../atomic.js';
import { contentTypeOf } from '../../common/content-type.js';
import { INDEX, secsOf, type DirIndex, type DriveMeta, type ChildEntry } from './types.js';
import { syncFile } from './disk.js';

/** Names a directory listing ignores: reserved `_*` files and `*.tmp` temps. */
const hidden = (name: string): boolean => name.startsWith('_') || name.endsWith('.tmp');

/** The reference.md ETag of a file: SHA-256, 32 hex chars, quoted. */
export async function fileEtag(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return `"${h.digest('hex').slice(0, 32)}"`;
}

/** Read an index, `undefined` when missing or unparseable (it is then rebuilt). */
export async function readIndexFile(dir: string): Promise<DirIndex | undefined> {
  const idx = await readJson<DirIndex>(join(dir, INDEX)).catch(() => undefined);
  return idx && typeof idx === 'object' && idx.children && typeof idx.children === 'object' ? idx : undefined;
}

/** fsync a directory's `_index.json` and the directory (its last rename). */
async function syncIndex(dir: string): Promise<void> {
  await syncFile(join(dir, INDEX));
  await fsyncDir(dir);
}


/**
 * Recompute the index of `dir` from its listing. Entries not in `suspects` are trusted when the
 * old index has them with the same type and size; a suspect or unknown file is rehashed; a
 * sub-directory is rebuilt recursively when `deep`, when it is suspect, or when its own index
 * is missing (otherwise its totals are read from its index). Writes the index when it changed.
 */
export async function reconcileDir(dir: string, name: string, opts: { suspects?: Set<string>; deep?: boolean }): Promise<DirIndex> {
  const old = await readIndexFile(dir);
  const idx: DirIndex = {
    version: 1, name, ctag: (old?.ctag ?? 0) + 1, mtime: old?.mtime ?? secsOf(Date.now()),
    self_files: 0, self_dirs: 0, self_bytes: 0, total_files: 0, total_dirs: 0, total_bytes: 0, children: {},
    ...(old?.props ? { props: old.props } : {}),
  };
  for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
    if (hidden(d.name)) {
      // Temps inside the tree are leftovers of a cut write (the lock is held: none is live).
      if (d.name.endsWith('.tmp')) await fsp.rm(join(dir, d.name), { recursive: true, force: true });
      continue;
    }
    const p = join(dir, d.name);
    const prev: ChildEntry | undefined = old?.children[d.name];
    const suspect = opts.suspects?.has(d.name) ?? false;
    if (d.isDirectory()) {
      let sub = suspect || opts.deep ? undefined : await readIndexFile(p);
      if (!sub || sub.name !== d.name) sub = await reconcileDir(p, d.name, { deep: opts.deep || suspect });
      idx.children[d.name] = { type: 'dir', mtime: prev?.mtime ?? sub.mtime, ...(prev?.props ? { props: prev.props } : {}) };
      idx.self_dirs += 1;
      idx.total_files += sub.total_files;
      idx.total_dirs += sub.total_dirs + 1;
      idx.total_bytes += sub.total_bytes;
    } else if (d.isFile()) {
      const st = await fsp.stat(p);
      const keep = prev?.type === 'file' && prev.size === st.size && !suspect;
      idx.children[d.name] = keep ? prev : {
        type: 'file', size: st.size, etag: await fileEtag(p), mtime: secsOf(st.mtimeMs), content_type: contentTypeOf(d.name),
        ...(prev?.props ? { props: prev.props } : {}),
      };
      idx.self_files += 1;
      idx.self_bytes += st.size;
      idx.total_files += 1;
      idx.total_bytes += st.size;
    }
  }
  if (!old || JSON.stringify({ ...old, ctag: 0 }) !== JSON.stringify({ ...idx, ctag: 0 })) {
    await writeJsonDurable(join(dir, INDEX), idx);
  } else {
    idx.ctag = old.ctag;
    await syncIndex(dir); // right, but possibly written unsynced before the crash
  }
  return idx;
}

/** Recompute the counters of the already-correct index of `dir` from its children's indexes. */
async function recount(dir: string, name: string): Promise<DirIndex> {
  const old = await readIndexFile(dir);
  if (!old) return reconcileDir(dir, name, {});
  const idx: DirIndex = { ...old, self_files: 0, self_dirs: 0, self_bytes: 0, total_files: 0, total_dirs: 0, total_bytes: 0 };
  for (const [child, e] of Object.entries(old.children)) {
    if (e.type === 'file') {
      idx.self_files += 1;
      idx.self_bytes += e.size;
      idx.total_files += 1;
      idx.total_bytes += e.size;
    } else {
      const sub = await readIndexFile(join(dir, child));
      if (!sub) return reconcileDir(dir, name, {});
      idx.self_dirs += 1;
      idx.total_files += sub.total_files;
      idx.total_dirs += sub.total_dirs + 1;
      idx.total_bytes += sub.total_bytes;
    }
  }
  const same = (['self_files', 'self_dirs', 'self_bytes', 'total_files', 'total_dirs', 'total_bytes'] as const).every((k) => idx[k] === old[k]);
  if (!same) {
    idx.ctag += 1;
    await writeJsonDurable(join(dir, INDEX), idx);
  } else await syncIndex(dir);
  return idx;
}

/** Write `_meta.json` from the root index (ctag and sync_token move forward). */
async function writeMeta(metaFile: string, root: DirIndex): Promise<void> {
  const meta = await readJson<DriveMeta>(metaFile).catch(() => undefined);
  await writeJsonDurable(metaFile, {
    ctag: (meta?.ctag ?? 0) + 1, sync_token: (meta?.sync_token ?? 0) + 1,
    total_files: root.total_files, total_dirs: root.total_dirs, total_bytes: root.total_bytes,
  } satisfies DriveMeta);
}

/**
 * Roll the tree forward after unfinished intents: for each named path, reconcile its nearest
 * ancestor that exists with a readable index (the path's first component below it suspect),
 * then recount every ancestor of those directories, deepest first, and rewrite `_meta.json`.
 */
export async function rollForward(files: string, metaFile: string, paths: Iterable<string>): Promise<void> {
  const suspects = new Map<string, Set<string>>();
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0) continue;
    let k = 0; // parts[0..k) is the deepest ancestor dir that exists with an index
    while (k < parts.length - 1) {
      const st = await fsp.stat(join(files, ...parts.slice(0, k + 1))).catch(() => undefined);
      if (!st?.isDirectory() || !(await readIndexFile(join(files, ...parts.slice(0, k + 1))))) break;
      k++;
    }
    const key = parts.slice(0, k).join('/');
    if (!suspects.has(key)) suspects.set(key, new Set());
    suspects.get(key)!.add(parts[k]!);
  }
  const keys = new Set<string>();
  for (const key of suspects.keys()) {
    const parts = key ? key.split('/') : [];
    for (let i = parts.length; i >= 0; i--) keys.add(parts.slice(0, i).join('/'));
  }
  // Deepest first, so every directory sees its sub-directories' corrected totals.
  let root: DirIndex | undefined;
  for (const key of [...keys].sort((a, b) => depth(b) - depth(a))) {
    const parts = key ? key.split('/') : [];
    const dir = join(files, ...parts);
    const name = parts[parts.length - 1] ?? '';
    const s = suspects.get(key);
    const idx = s ? await reconcileDir(dir, name, { suspects: s }) : await recount(dir, name);
    if (key === '') root = idx;
  }
  await writeMeta(metaFile, root ?? (await recount(files, '')));
}

/** Recompute every `_index.json` under `files` and `_meta.json` from a walk of the files. */
export async function rebuildTree(files: string, metaFile: string): Promise<DirIndex> {
  await fsp.mkdir(files, { recursive: true });
  const root = await reconcileDir(files, '', { deep: true });
  await writeMeta(metaFile, root);
  await fsyncDir(files);
  return root;
}

/** The depth of an `a/b` key (0: the root). */
export const depth = (key: string): number => (key === '' ? 0 : key.split('/').length);

/** Totals of a fresh walk of the tree (ignores `_*` and `*.tmp`), for checks and rebuilds. */
export async function walkTotals(dir: string): Promise<{ files: number; dirs: number; bytes: number }> {
  const out = { files: 0, dirs: 0, bytes: 0 };
  for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
    if (d.name.startsWith('_') || d.name.endsWith('.tmp')) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      const sub = await walkTotals(p);
      out.files += sub.files;
      out.dirs += sub.dirs + 1;
      out.bytes += sub.bytes;
    } else {
      out.files += 1;
      out.bytes += (await fsp.stat(p)).size;
    }
  }
  return out;
}
