/**
 * Crash consistency of a drive's `_index.json` files (DESIGN.md "Durability"): the journal
 * (`drive/_journal.log` and `drive/_journal.2.log`, used in turn: JournalPair), its replay, and
 * the rebuild that recomputes indexes from the files.
 *
 * The journal holds two kinds of line, each appended with one O_DSYNC write before the change
 * it describes is acknowledged:
 * - `redo` (uploads, mkdir, dead properties): the change itself — the new counters and changed
 *   child entries of every index it touches, `_meta.json`, and the whole content of small
 *   uploads. The `_index.json` files are then kept in memory and written at the next
 *   checkpoint; replay applies the lines, in order, over the checkpointed indexes (absolute
 *   values, so replaying twice is harmless) and rewrites the logged files.
 * - `begin` (delete, move, copy, which write their indexes through): the paths the change may
 *   touch; replay reconciles the nearest indexed ancestor of each against the directory on disk
 *   (those paths rehashed, a named directory rebuilt from a walk), recounts every ancestor and
 *   rewrites `_meta.json`. `rebuildTree` does the same for the whole tree (`rmail verify --fix`).
 *
 * Invariants: callers hold the drive's `_index.lock`; every index written by a replay is durable
 * (temp + fsync + rename + dir fsync) before the journal is cleared.
 */
import { promises as fsp, createReadStream, constants as fsc } from 'node:fs';
import { join, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { writeJsonDurable, writeFileDurable, readJson, fsyncDir, writeAllAt } from './atomic.js';
import { contentTypeOf } from '../common/content-type.js';
import type { DirIndex, DriveMeta, ChildEntry, DirCounters } from './drive.js';

/** One `begin` line: the paths an intent touches and (older journals) small uploads' bytes (base64). */
type BeginLine = { op: 'begin'; id: number; paths: string[]; data?: Record<string, string>; props_only?: true };

/** What one change did to one directory's index (a `redo` line). */
export interface DirRedo {
  /** The whole index: a directory this change created. */
  full?: DirIndex;
  /** The index's counters after the change. */
  c?: DirCounters;
  /** Root dead properties after the change (`null`: none). */
  props?: Record<string, string> | null;
  /** Child entries set (added or replaced). */
  set?: Record<string, ChildEntry>;
  /** Child names removed. */
  del?: string[];
}

/** One `redo` line: a whole change, applied by replay. */
export interface RedoLine {
  op: 'redo';
  /** `a/b` directory key -> its edit. */
  dirs: Record<string, DirRedo>;
  /** `_meta.json` after the change. */
  meta: DriveMeta;
  /** Small uploads: `a/b` path -> complete content (base64). */
  data?: Record<string, string>;
  /** Large uploads (synced on their own, renamed after this line was durable): reconciled on replay. */
  files?: string[];
}

/** An intent read back from the journal. */
export interface Intent {
  paths: string[];
  /** Path -> the complete new content of a small upload, logged instead of syncing its file. */
  data: Map<string, Buffer>;
  /** The intent changes only index entries (dead properties), never a file's place or content. */
  propsOnly: boolean;
}

/** A journal line read back: a `begin` intent or a `redo` change. */
export type JournalEntry = ({ op: 'begin' } & Intent) | RedoLine;

/** Zeroed journal space added at a time (written and synced once, then overwritten in place). */
const GROW = 1024 * 1024;

/**
 * `drive/_journal.log`: one JSON object per line, each written and synced by one O_DSYNC write.
 *
 * The file is zero-filled ahead of the writes (GROW at a time, synced once), so a line only
 * overwrites blocks that already exist: the file's size and block map do not change, and the
 * sync needs no file-system journal commit (on ext4 that is what makes a small synced write
 * cheap, and independent of other processes' fsyncs). The first line is a header
 * `{"op":"head","g":N}`; every later line carries the same `g`. Emptying the journal writes a
 * new header with the next generation at offset 0, so the lines of earlier generations left
 * behind it no longer count: a reader stops at the first line that is torn, zero, or of another
 * generation. (A file without a header — an older journal — is read line by line to its end.)
 */
export class DriveJournal {
  private fh: fsp.FileHandle | null = null;
  private nextId = 1;
  /** Generation of the current header, next write offset, end of the zeroed space. */
  private gen = 0;
  private off = 0;
  private zeroEnd = 0;
  private head = 0;

  constructor(readonly path: string) {}

  private async file(): Promise<fsp.FileHandle> {
    if (!this.fh) {
      const existed = await fsp.stat(this.path).then(() => true, () => false);
      const fh = await fsp.open(this.path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_DSYNC, 0o600);
      if (!existed) await fsyncDir(dirname(this.path));
      const text = (await fh.readFile()).toString('latin1');
      const scan = scanJournal(text);
      this.fh = fh;
      this.gen = scan.gen;
      this.head = scan.head;
      this.off = scan.end;
      this.zeroEnd = text.length; // written space (zeros or old lines): overwritten in place
    }
    return this.fh;
  }

  /** Write one line at the end of the valid lines; resolves once it is on disk. */
  private async append(line: Buffer): Promise<void> {
    const fh = await this.file();
    if (this.head === 0) await this.writeHead(fh); // an older journal, or none: start a generation
    if (this.off + line.length > this.zeroEnd) {
      const grow = Math.max(GROW, this.off + line.length - this.zeroEnd);
      await writeAllAt(fh.fd, Buffer.alloc(grow), this.zeroEnd);
      this.zeroEnd += grow;
    }
    await writeAllAt(fh.fd, line, this.off);
    this.off += line.length;
  }

  /** Start a new generation: its header at offset 0 (earlier lines stop counting). */
  private async writeHead(fh: fsp.FileHandle): Promise<void> {
    this.gen += 1;
    const head = Buffer.from(`{"op":"head","g":${this.gen}}\n`);
    if (this.zeroEnd < GROW) {
      await writeAllAt(fh.fd, Buffer.alloc(GROW - this.zeroEnd), this.zeroEnd);
      this.zeroEnd = GROW;
    }
    await writeAllAt(fh.fd, head, 0);
    this.head = head.length;
    this.off = head.length;
  }

  /**
   * Durably record that the paths (`a/b` keys) are about to change, with the full content of
   * small uploads among them (`data`); returns the intent id.
   */
  async begin(paths: Iterable<string>, data?: Map<string, Buffer>, propsOnly = false): Promise<number> {
    const id = this.nextId++;
    await this.file();
    const gen = this.head === 0 ? this.gen + 1 : this.gen;
    const rec: BeginLine & { g: number } = { op: 'begin', g: gen, id, paths: [...new Set(paths)], ...(propsOnly ? { props_only: true as const } : {}) };
    if (data?.size) rec.data = Object.fromEntries([...data].map(([p, b]) => [p, b.toString('base64')]));
    await this.append(Buffer.from(JSON.stringify(rec) + '\n'));
    return id;
  }

  /** Durably record a whole change (see RedoLine); `data` holds small uploads' contents. */
  async redo(rec: Omit<RedoLine, 'op' | 'data'>, data?: Map<string, Buffer>): Promise<void> {
    await this.file();
    const gen = this.head === 0 ? this.gen + 1 : this.gen;
    const json = JSON.stringify({ op: 'redo', g: gen, ...rec });
    await this.append(data?.size ? lineWithData(json, data) : Buffer.from(json + '\n'));
  }

  /** Bytes of lines since the journal was last emptied (as far as this process knows). */
  get bytes(): number {
    return this.head === 0 ? this.off : this.off - this.head;
  }

  /** The generation this process last wrote or read in the header (0: none yet). */
  get generation(): number {
    return this.gen;
  }

  /** Every line since the last checkpoint, in order (a torn last line is skipped). */
  async entries(): Promise<JournalEntry[]> {
    return (await this.read()).entries;
  }

  /** The live lines and the header's generation (0: no header, or no file). */
  async read(): Promise<{ gen: number; entries: JournalEntry[] }> {
    let text: string;
    try {
      text = (await fsp.readFile(this.path)).toString('latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { gen: 0, entries: [] };
      throw err;
    }
    const out: JournalEntry[] = [];
    const scan = scanJournal(text);
    for (const raw of scan.lines) {
      let rec: BeginLine | RedoLine;
      try {
        rec = JSON.parse(Buffer.from(raw, 'latin1').toString('utf8')) as BeginLine | RedoLine;
      } catch {
        continue;
      }
      if (rec.op === 'redo' && rec.dirs && typeof rec.dirs === 'object' && rec.meta && typeof rec.meta === 'object') out.push(rec);
      else if (rec.op === 'begin' && Array.isArray(rec.paths)) {
        const data = new Map<string, Buffer>();
        for (const [p, b64] of Object.entries(rec.data ?? {})) if (typeof b64 === 'string') data.set(p, Buffer.from(b64, 'base64'));
        out.push({ op: 'begin', paths: rec.paths.filter((p) => typeof p === 'string'), data, propsOnly: rec.props_only === true });
      }
    }
    return { gen: scan.gen, entries: out };
  }

  /** The `begin` intents since the last checkpoint (see `entries` for every line). */
  async pending(): Promise<Intent[]> {
    return (await this.entries()).filter((e): e is { op: 'begin' } & Intent => e.op === 'begin');
  }

  /**
   * Empty the journal durably (every line in it is resolved): a new generation's header, above
   * `above` (the other journal of a JournalPair) and every generation this file had.
   */
  async clear(above = 0): Promise<void> {
    const fh = await this.file();
    // Another process (a settle) may have started generations since: never reuse one.
    const first = Buffer.alloc(64);
    const { bytesRead } = await fh.read(first, 0, 64, 0);
    this.gen = Math.max(this.gen, above, scanJournal(first.subarray(0, bytesRead).toString('latin1')).gen);
    await this.writeHead(fh);
    this.nextId = 1;
  }

  /** Re-read the state from the file (another process may have emptied the journal). */
  async resync(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }

  /** Close the file; `trim` (the journal is empty): cut it to nothing, the zeroed space included. */
  async close(trim = false): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (!fh) return;
    try {
      if (trim && this.bytes === 0) {
        await fh.truncate(0);
        await fh.datasync();
      }
    } finally {
      await fh.close();
    }
  }
}

/**
 * The two journal files of a drive, `_journal.log` and `_journal.2.log`, used in turn so a
 * checkpoint never stops commits: `rotate` (lock held, one header write) makes the other,
 * empty file the one lines go to, and hands back the previous one; the checkpoint then writes
 * and syncs the state that file covers without the lock, and `finish` empties it. Every header
 * takes a generation above both files' (a shared count), so a reader replays the older file's
 * lines, then the newer's; a file emptied after a checkpoint has a newer header but no lines.
 */
export class JournalPair {
  private readonly files: [DriveJournal, DriveJournal];
  private active = 0;
  /** The other file may hold lines (a checkpoint of them is running, or failed): no rotation. */
  private busy = false;

  constructor(drive: string) {
    this.files = [new DriveJournal(join(drive, '_journal.log')), new DriveJournal(join(drive, '_journal.2.log'))];
  }

  private get current(): DriveJournal {
    return this.files[this.active]!;
  }

  private get top(): number {
    return Math.max(this.files[0].generation, this.files[1].generation);
  }

  /** See DriveJournal.begin (written to the current file). */
  begin(paths: Iterable<string>, data?: Map<string, Buffer>, propsOnly = false): Promise<number> {
    return this.current.begin(paths, data, propsOnly);
  }

  /** See DriveJournal.redo (written to the current file). */
  redo(rec: Omit<RedoLine, 'op' | 'data'>, data?: Map<string, Buffer>): Promise<void> {
    return this.current.redo(rec, data);
  }

  /** Bytes of lines in the current file since it was emptied. */
  get bytes(): number {
    return this.current.bytes;
  }

  /** False while the other file still holds lines (a checkpoint of them has not finished). */
  get canRotate(): boolean {
    return !this.busy;
  }

  /**
   * Send later lines to the other file (emptied, under a newer generation than any line so
   * far); returns the file that holds every line until now, for `finish` once its state is
   * durable elsewhere. Call with the lock held.
   */
  async rotate(): Promise<DriveJournal> {
    if (this.busy) throw new Error('drive journal: the previous checkpoint has not finished');
    const old = this.current;
    const next = this.files[1 - this.active]!;
    await next.clear(this.top);
    this.active = 1 - this.active;
    this.busy = true;
    return old;
  }

  /** Empty `old` (a file `rotate` handed back) now that everything it covered is durable. */
  async finish(old: DriveJournal): Promise<void> {
    await old.clear(this.top);
    this.busy = false;
  }

  /** Every live line of both files, the older file's first. */
  async entries(): Promise<JournalEntry[]> {
    const [a, b] = await Promise.all(this.files.map((f) => f.read()));
    return a!.gen <= b!.gen ? [...a!.entries, ...b!.entries] : [...b!.entries, ...a!.entries];
  }

  /** Empty both files (lock held; every line in them resolved); lines then go to the newer. */
  async clear(): Promise<void> {
    const [a, b] = await Promise.all(this.files.map((f) => f.read()));
    const top = Math.max(a!.gen, b!.gen, this.top);
    await this.files[1 - this.active]!.clear(top);
    await this.current.clear(this.top);
    this.busy = false;
  }

  /** Re-read both files' state (another process may have emptied them). */
  async resync(): Promise<void> {
    await Promise.all(this.files.map((f) => f.resync()));
  }

  /** Close both files; `trim`: both are empty, cut them to nothing. */
  async close(trim = false): Promise<void> {
    await Promise.all(this.files.map((f) => f.close(trim)));
  }
}

/**
 * `json` (an object's text) with `"data":{path: base64 content, ...}` spliced in before its
 * closing brace, and a newline: written piece by piece into one buffer of the exact size (no
 * intermediate string holding every upload's base64 again).
 */
function lineWithData(json: string, data: Map<string, Buffer>): Buffer {
  const keys: string[] = [];
  let size = Buffer.byteLength(json) - 1 + ',"data":{'.length + '}}\n'.length;
  for (const [p, b] of data) {
    const k = JSON.stringify(p);
    keys.push(k);
    size += Buffer.byteLength(k) + ':""'.length + 4 * Math.ceil(b.length / 3) + 1;
  }
  size -= 1; // no comma after the last entry
  const line = Buffer.allocUnsafe(size);
  let off = line.write(json, 0, 'utf8') - 1;
  off += line.write(',"data":{', off, 'latin1');
  let i = 0;
  for (const b of data.values()) {
    if (i > 0) off += line.write(',', off, 'latin1');
    off += line.write(keys[i++]!, off, 'utf8');
    off += line.write(':"', off, 'latin1');
    off += line.write(b.toString('base64'), off, 'latin1');
    off += line.write('"', off, 'latin1');
  }
  off += line.write('}}\n', off, 'latin1');
  if (off !== size) throw new Error(`drive journal: line size ${off} != ${size}`);
  return line;
}


/**
 * The valid lines of a journal's text (latin1, so offsets are bytes): after a header, the lines
 * of its generation up to the first torn, zero or foreign one; without a header, every line.
 * `end` is the byte offset after the last valid line, `head` the header's length (0: none).
 */
function scanJournal(text: string): { gen: number; head: number; end: number; lines: string[] } {
  const first = text.indexOf('\n');
  const m = first > 0 ? /^\{"op":"head","g":(\d+)\}$/.exec(text.slice(0, first)) : null;
  if (!m) {
    // No header: an older journal (or none); its lines run to the first NUL.
    const z = text.indexOf('\0');
    const body = z < 0 ? text : text.slice(0, z);
    const last = body.lastIndexOf('\n');
    return { gen: 0, head: 0, end: last + 1, lines: body.slice(0, last + 1).split('\n').filter(Boolean) };
  }
  const gen = Number(m[1]);
  const tag = `"g":${gen},`;
  const lines: string[] = [];
  let pos = first + 1;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl);
    if (!line.startsWith('{') || !line.slice(0, 40).includes(tag) || line.includes('\0')) break;
    try {
      JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
    } catch {
      break;
    }
    lines.push(line);
    pos = nl + 1;
  }
  return { gen, head: first + 1, end: pos, lines };
}

const INDEX = '_index.json';

/** Names a directory listing ignores: reserved `_*` files and `*.tmp` temps. */
const hidden = (name: string): boolean => name.startsWith('_') || name.endsWith('.tmp');

/** The reference.md ETag of a file: SHA-256, 32 hex chars, quoted. */
export async function fileEtag(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return `"${h.digest('hex').slice(0, 32)}"`;
}

/** Read an index, `undefined` when missing or unparseable (it is then rebuilt). */
async function readIndexFile(dir: string): Promise<DirIndex | undefined> {
  const idx = await readJson<DirIndex>(join(dir, INDEX)).catch(() => undefined);
  return idx && typeof idx === 'object' && idx.children && typeof idx.children === 'object' ? idx : undefined;
}

/** fsync a directory's `_index.json` and the directory (its last rename). */
async function syncIndex(dir: string): Promise<void> {
  const fh = await fsp.open(join(dir, INDEX), 'r+');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dir);
}

/** Seconds with 4 decimals, as `_index.json` stores mtimes. */
const secs = (ms: number): number => Math.round(ms * 10) / 10000;

/**
 * Recompute the index of `dir` from its listing. Entries not in `suspects` are trusted when the
 * old index has them with the same type and size; a suspect or unknown file is rehashed; a
 * sub-directory is rebuilt recursively when `deep`, when it is suspect, or when its own index
 * is missing (otherwise its totals are read from its index). Writes the index when it changed.
 */
export async function reconcileDir(dir: string, name: string, opts: { suspects?: Set<string>; deep?: boolean }): Promise<DirIndex> {
  const old = await readIndexFile(dir);
  const idx: DirIndex = {
    version: 1, name, ctag: (old?.ctag ?? 0) + 1, mtime: old?.mtime ?? secs(Date.now()),
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
        type: 'file', size: st.size, etag: await fileEtag(p), mtime: secs(st.mtimeMs), content_type: contentTypeOf(d.name),
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

const depth = (key: string): number => (key === '' ? 0 : key.split('/').length);

/** The components of a journal key, or undefined when one could escape the tree. */
function keyParts(key: string): string[] | undefined {
  const parts = key ? key.split('/') : [];
  return parts.some((c) => c === '' || c === '.' || c === '..' || c.includes('\0')) ? undefined : parts;
}

/** fdatasync a file or directory that may be gone (nothing to make durable then). */
async function syncPath(path: string, dir: boolean): Promise<void> {
  try {
    if (dir) await fsyncDir(path);
    else {
      const fh = await fsp.open(path, 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw err;
  }
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
    await Promise.all([...syncDirs].map((d) => syncPath(d, true)));
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
      if (onDisk?.equals(data)) await syncPath(path, false);
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

/** Recompute every `_index.json` under `files` and `_meta.json` from a walk of the files. */
export async function rebuildTree(files: string, metaFile: string): Promise<DirIndex> {
  await fsp.mkdir(files, { recursive: true });
  const root = await reconcileDir(files, '', { deep: true });
  await writeMeta(metaFile, root);
  await fsyncDir(files);
  return root;
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
