/**
 * Replay of a drive's journal (DESIGN.md "Durability"): the lines of both journal files applied,
 * in order, over the checkpointed indexes and files on opening a drive, after a failed commit,
 * and by another process (`rmail verify`, `rmail backup`: settleDrive).
 *
 * Invariants: callers hold the drive's `_index.lock`; every index and file written by a replay
 * is durable (temp + fsync + rename + dir fsync) before the journal is cleared.
 */
import { promises as fsp } from 'node:fs';
import { join, dirname } from 'node:path';
import { writeJsonDurable, writeFileDurable } from '../atomic.js';
import { INDEX, type DirIndex, type DriveMeta } from './types.js';
import type { Intent, JournalEntry } from './journal-file.js';
import { JournalPair } from './journal-pair.js';
import { rollForward, readIndexFile, depth } from './reconcile.js';
import { syncIfThere } from './disk.js';

/**
 * Restore the small uploads logged in `intents` whose file may not have reached the disk: the
 * last logged content of each path that no later intent moved, deleted or rewrote (such a
 * change, to the path or a directory above or below it, was durable on its own; a move first
 * checkpoints, so the file it moves is synced). Written durably when the file
 * on disk differs. Run before `rollForward` over the same intents' paths.
 */
export async function replayUploads(files: string, intents: Intent[]): Promise<void> {
  const last = new Map<string, Buffer>();
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (const intent of intents) {
    if (!intent.propsOnly) for (const p of intent.paths) for (const k of [...last.keys()]) if (related(k, p)) last.delete(k);
    for (const [p, data] of intent.data) last.set(p, data);
  }
  for (const [p, data] of last) {
    const parts = p.split('/').filter(Boolean);
    if (parts.length === 0 || parts.some((c) => c === '..' || c === '.')) continue;
    const path = join(files, ...parts);
    const onDisk = await fsp.readFile(path).catch(() => undefined);
    if (onDisk?.equals(data)) continue;
    const st = await fsp.stat(path).catch(() => undefined);
    if (st?.isDirectory()) continue;
    await fsp.mkdir(join(path, '..'), { recursive: true });
    await writeFileDurable(path, data);
  }
}

/** The components of a journal key, or undefined when one could escape the tree. */
function keyParts(key: string): string[] | undefined {
  const parts = key ? key.split('/') : [];
  return parts.some((c) => c === '' || c === '.' || c === '..' || c.includes('\0')) ? undefined : parts;
}

/**
 * Apply the journal's lines, in order, over the indexes on disk and make the result durable
 * (the caller then empties the journal). Runs of `redo` lines are applied in memory — their
 * logged files rewritten where the disk differs, fsync'd where it agrees — then written; runs of
 * `begin` intents are rolled forward (replayUploads + rollForward). Large uploads named by redo
 * lines are reconciled against the disk last (their rename may not have happened). Every value
 * a redo line carries is absolute, so replaying over a partly checkpointed tree, or twice,
 * gives the same result.
 */
export async function replayJournal(files: string, metaFile: string, entries: JournalEntry[]): Promise<void> {
  const work = new Map<string, DirIndex>();
  const syncDirs = new Set<string>();
  const large = new Set<string>();
  let meta: DriveMeta | undefined;
  let intents: Intent[] = [];
  const flush = async (): Promise<void> => {
    for (const [key, idx] of [...work].sort(([a], [b]) => depth(a) - depth(b))) {
      const dir = join(files, ...key.split('/').filter(Boolean));
      await fsp.mkdir(dir, { recursive: true });
      await writeJsonDurable(join(dir, INDEX), idx);
      if (key) syncDirs.add(dirname(dir));
    }
    await Promise.all([...syncDirs].map((d) => syncIfThere(d, true)));
    if (meta) await writeJsonDurable(metaFile, meta);
    work.clear();
    syncDirs.clear();
    meta = undefined;
  };
  const settle = async (): Promise<void> => {
    if (!intents.length) return;
    await replayUploads(files, intents);
    await rollForward(files, metaFile, intents.flatMap((i) => i.paths));
    intents = [];
  };
  for (const e of entries) {
    if (e.op === 'begin') {
      await flush();
      intents.push(e);
      continue;
    }
    await settle();
    for (const [key, r] of Object.entries(e.dirs)) {
      const parts = keyParts(key);
      if (!parts) continue;
      let idx = work.get(key);
      if (r.full) idx = r.full;
      else {
        idx ??= await readIndexFile(join(files, ...parts));
        if (!idx) {
          if (parts.length) large.add(key); // reconciled from the disk below
          continue;
        }
        if (r.c) Object.assign(idx, r.c);
        if (r.props === null) delete idx.props;
        else if (r.props) idx.props = r.props;
        for (const n of r.del ?? []) delete idx.children[n];
        Object.assign(idx.children, r.set ?? {});
      }
      work.set(key, idx);
    }
    for (const [p, b64] of Object.entries(e.data ?? {})) {
      const parts = keyParts(p);
      if (!parts?.length) continue;
      const path = join(files, ...parts);
      const data = Buffer.from(b64, 'base64');
      const onDisk = await fsp.readFile(path).catch(() => undefined);
      if ((await fsp.stat(path).catch(() => undefined))?.isDirectory()) continue;
      if (onDisk?.equals(data)) await syncIfThere(path, false);
      else await writeFileDurable(path, data);
      syncDirs.add(dirname(path));
    }
    for (const p of e.files ?? []) large.add(p);
    meta = e.meta;
  }
  await settle();
  await flush();
  if (large.size) await rollForward(files, metaFile, large);
}

/**
 * Bring a drive's indexes and files up to date with its journal, durably, and empty it — for a
 * reader in another process (`rmail verify`, `rmail backup`) holding the drive's `_index.lock`.
 * The result equals what a live server holds in memory (it notices the rewritten `_meta.json`
 * and reloads).
 */
export async function settleDrive(drive: string): Promise<void> {
  const journal = new JournalPair(drive);
  try {
    const entries = await journal.entries();
    if (!entries.length) return;
    await replayJournal(join(drive, 'files'), join(drive, '_meta.json'), entries);
    await journal.clear();
  } finally {
    await journal.close();
  }
}
