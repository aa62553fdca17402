/**
 * The drive journal's file and lines (DESIGN.md "Durability"): `drive/_journal.log` or
 * `drive/_journal.2.log` (the pair is journal-pair.ts), appended with one O_DSYNC write per line
 * before the change it describes is acknowledged. Two kinds of line:
 * - `redo` (uploads, mkdir, dead properties): the change itself — the new counters and changed
 *   child entries of every index it touches, `_meta.json`, and the whole content of small
 *   uploads. The `_index.json` files are then kept in memory and written at the next
 *   checkpoint; replay (replay.ts) applies the lines, in order, over the checkpointed indexes
 *   (absolute values, so replaying twice is harmless) and rewrites the logged files.
 * - `begin` (delete, move, copy, which write their indexes through): the paths the change may
 *   touch; replay reconciles them against the disk (reconcile.ts rollForward).
 *
 * Invariants: callers hold the drive's `_index.lock`; a line is acknowledged only once its
 * write returned (O_DSYNC).
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, writeAllAt, writeAllSync } from '../atomic.js';
import { syncAllowed, noteSync } from '../sync-pace.js';
import type { DirIndex, DriveMeta, ChildEntry, DirCounters } from './types.js';

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
/** Zeroed space left ahead below which the next GROW is due (`wantsGrow`). */
const LOW = GROW / 2;
const ZEROS = Buffer.alloc(GROW);

/**
 * `drive/_journal.log`: one JSON object per line, each written and synced by one O_DSYNC write.
 *
 * The file is zero-filled ahead of the writes (GROW at a time, synced once), so a line only
 * overwrites blocks that already exist: the file's size and block map do not change, and the
 * sync needs no file-system journal commit (on ext4 that is what makes a small synced write
 * cheap, and independent of other processes' fsyncs). The store extends it (`growAhead`) once
 * less than LOW is left ahead, after a commit and off its path, so a line waits for the file to
 * grow only when it outruns that write. The first line is a header
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
  /** A `growAhead` write in progress. */
  private growing: Promise<void> | null = null;

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

  /**
   * Write one line at the end of the valid lines; resolves once it is on disk. The write is
   * synchronous when the pacing allows (sync-pace.ts: no thread-pool round trip; the caller waits
   * for it anyway, and issued any other syncs it waits for before), else on the thread pool.
   */
  private async append(line: Buffer): Promise<void> {
    const fh = await this.file();
    if (this.head === 0) await this.writeHead(fh); // an older journal, or none: start a generation
    if (this.off + line.length > this.zeroEnd) {
      await this.growing?.catch(() => undefined);
      if (this.off + line.length > this.zeroEnd) {
        const grow = Math.max(GROW, this.off + line.length - this.zeroEnd);
        await writeAllAt(fh.fd, Buffer.alloc(grow), this.zeroEnd);
        this.zeroEnd += grow;
      }
    }
    const at = this.off;
    const started = performance.now();
    if (syncAllowed(started)) {
      try {
        writeAllSync(fh.fd, line, at);
      } finally {
        noteSync(started, performance.now());
      }
    } else await writeAllAt(fh.fd, line, at);
    this.off = at + line.length;
  }

  /** True when the zeroed space ahead runs low and no `growAhead` is running. */
  get wantsGrow(): boolean {
    return this.fh !== null && this.head !== 0 && this.growing === null && this.zeroEnd - this.off < LOW;
  }

  /**
   * Add GROW zeroed bytes after the zeroed space (one O_DSYNC write through the thread pool), so
   * no line has to wait for the file to grow. Lines go on meanwhile; one that needs the new
   * space waits for it. The caller holds the drive's lock until it resolves (another process
   * must not write the file meanwhile).
   */
  growAhead(): Promise<void> {
    const fh = this.fh;
    if (this.growing || !fh) return this.growing ?? Promise.resolve();
    const at = this.zeroEnd;
    const running: Promise<void> = writeAllAt(fh.fd, ZEROS, at)
      .then(() => {
        if (this.fh === fh) this.zeroEnd = Math.max(this.zeroEnd, at + GROW);
      })
      .finally(() => {
        if (this.growing === running) this.growing = null;
      });
    this.growing = running;
    return running;
  }

  /** Start a new generation: its header at offset 0 (earlier lines stop counting). */
  private async writeHead(fh: fsp.FileHandle): Promise<void> {
    await this.growing?.catch(() => undefined);
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
    await this.growing?.catch(() => undefined);
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }

  /** Close the file; `trim` (the journal is empty): cut it to nothing, the zeroed space included. */
  async close(trim = false): Promise<void> {
    await this.growing?.catch(() => undefined);
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
