/**
 * One calendar collection on disk (reference.md "Storage layout" of CalDAV):
 * `calendars/{cal}/calendar.json` (name, color, description), `index.json` (ctag, sync_token,
 * per-event metadata, tombstones), `events/{name}.ics`.
 *
 * Invariants: index.json is a snapshot at `seq`; `index.journal` beside it holds one JSON line
 * per later write (put with the event text, delete, props), each with its own `s` (seq).
 * Loading replays journal lines with `s > snapshot.seq` (a torn last line is ignored), so a
 * compaction that crashed between writing the snapshot and truncating the journal is harmless.
 * A write costs one event file rename + one journal append (one group-committed fdatasync),
 * O(1) in the calendar's size; compaction rewrites the snapshot once the journal is long.
 */
import { promises as fsp, renameSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { IdleTimer } from '../common/idle-timer.js';
import { AppendLog, fsyncDir, fsyncFiles, mkdirDurable, readJson, tempPath, writeFileDurable, writeJsonDurable } from './atomic.js';

/** calendar.json */
export interface CalendarProps {
  name: string;
  displayname: string;
  color: string;
  description: string;
  components: string[];
  created: string;
  /** Random id embedded in sync tokens (a recreated calendar never accepts old tokens). */
  id: string;
}

/** Per-event metadata kept in index.json. */
export interface EventMeta {
  uid: string;
  etag: string;
  size: number;
  seq: number;
  modified: string;
  component: string;
  /** First instance start (ms since epoch, UTC; floating read as UTC); null when unknown. */
  start: number | null;
  /** Last instance end; null when unbounded or unknown. */
  end: number | null;
  recurring: boolean;
  /** The resource has a VALARM (absent in indexes written before the field existed). */
  alarm?: boolean;
}

/** index.json */
export interface CalendarIndex {
  version: 1;
  ctag: number;
  seq: number;
  sync_token: string;
  events: Record<string, EventMeta>;
  /** Deleted resource name -> seq of the delete. */
  tombstones: Record<string, number>;
  /** Tokens older than this seq cannot be answered incrementally (tombstones pruned). */
  tombstone_floor: number;
}

type JournalLine =
  | { s: number; c: number; n: string; m: EventMeta; t?: string }
  | { s: number; c: number; n: string; d: 1 }
  | { s: number; c: number; p: 1 };

const MAX_TOMBSTONES = 20_000;

/** The sync token of a calendar at `seq` (an opaque URI). */
export const syncToken = (id: string, seq: number): string => `http://rmail.invalid/sync/${id}-${seq}`;

/** Parse a sync token for calendar `id`: its seq, or null when it is not one of ours. */
export function parseSyncToken(id: string, token: string): number | null {
  const m = /^http:\/\/rmail\.invalid\/sync\/([0-9a-f]+)-(\d+)$/.exec(token.trim());
  if (!m || m[1] !== id) return null;
  return Number(m[2]);
}

const propsFile = (dir: string) => join(dir, 'calendar.json');
const indexFile = (dir: string) => join(dir, 'index.json');
const journalFile = (dir: string) => join(dir, 'index.journal');
/** The directory of a calendar's event files. */
export const eventsDir = (dir: string): string => join(dir, 'events');
/** The file of one event resource. */
export const eventFile = (dir: string, name: string): string => join(eventsDir(dir), `${name}.ics`);

/** Read one event's iCalendar text; undefined when absent. */
export async function readEvent(dir: string, name: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(eventFile(dir, name), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Names of the calendar directories under a user's calendars/ directory. */
export async function listCalendarNames(calendarsDir: string): Promise<string[]> {
  try {
    const ents = await fsp.readdir(calendarsDir, { withFileTypes: true });
    const out: string[] = [];
    for (const e of ents) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if (await fsp.stat(propsFile(join(calendarsDir, e.name))).then(() => true, () => false)) out.push(e.name);
    }
    return out.sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** True when the calendar exists on disk. */
export const calendarExists = (dir: string): Promise<boolean> =>
  fsp.stat(propsFile(dir)).then(() => true, () => false);

/** Create a calendar collection (calendar.json, empty index.json, events/); durable. */
export async function createCalendar(dir: string, props: Omit<CalendarProps, 'id' | 'created'>): Promise<CalendarProps> {
  await mkdirDurable(dirname(dir));
  await mkdirDurable(dir);
  await mkdirDurable(eventsDir(dir));
  const full: CalendarProps = { ...props, created: new Date().toISOString(), id: randomBytes(6).toString('hex') };
  const index: CalendarIndex = {
    version: 1, ctag: 1, seq: 0, sync_token: syncToken(full.id, 0), events: {}, tombstones: {}, tombstone_floor: 0,
  };
  await writeJsonDurable(indexFile(dir), index);
  await writeJsonDurable(propsFile(dir), full);
  return full;
}

/** Remove a calendar: rename it aside (durable), then delete the files. */
export async function removeCalendar(dir: string): Promise<void> {
  const aside = join(dirname(dir), `.deleted-${randomBytes(6).toString('hex')}`);
  await fsp.rename(dir, aside);
  await fsyncDir(dirname(dir));
  await fsp.rm(aside, { recursive: true, force: true });
}

/** A write whose metadata is in memory and whose journal line is on its way to disk. */
export interface Pending<T> {
  value: T;
  /** Resolves once the journal line (carrying the event text) is fsync'd. */
  durable: Promise<void>;
}

const COMPACT_BYTES = 16 * 1024 * 1024;

/**
 * A loaded calendar: props + index in memory, journal open for appends.
 *
 * Write-ahead rule: a PUT's journal line carries the event text, so the one fdatasync of the
 * journal (group-committed across concurrent writers) makes the write durable; the event file
 * itself is written by temp + rename without fsync. Loading repairs any event file that does not
 * match the journal; compaction fsyncs the files written since the last snapshot before it
 * truncates the journal.
 */
export class CalendarStore {
  private journal: AppendLog;
  private journalLines = 0;
  private snapshotMtime = 0;
  private uids: Map<string, string> | null = null;
  /** Bytes appended to the journal by us (flushed or in flight). */
  private expected = 0;
  private count = 0;
  /** Event files written or removed since the last snapshot (fsync'd at compaction). */
  private readonly dirty = new Set<string>();
  /** Texts (null: deletions) whose journal line is in flight and whose file step waits for it. */
  private readonly unfiled = new Map<string, string | null>();
  /** File steps not yet run (compaction waits for them). */
  private readonly filing = new Set<Promise<void>>();
  /** Closes the journal file after 30 s without a write (an evicted actor leaves no descriptor open). */
  private readonly idle = new IdleTimer(30_000, () => void this.journal.close().catch(() => {}));

  private constructor(
    readonly dir: string,
    public props: CalendarProps,
    public index: CalendarIndex,
  ) {
    this.journal = new AppendLog(journalFile(dir));
  }

  /** Load a calendar (snapshot + journal replay); undefined when it does not exist. */
  static async load(dir: string): Promise<CalendarStore | undefined> {
    const props = await readJson<CalendarProps>(propsFile(dir));
    if (!props) return undefined;
    const store = new CalendarStore(dir, props, emptyIndex(props.id));
    await store.reload();
    return store;
  }

  /** Re-read snapshot and journal from disk, repairing event files from the journal. */
  async reload(): Promise<void> {
    await this.journal.close();
    this.props = (await readJson<CalendarProps>(propsFile(this.dir))) ?? this.props;
    const snap = (await readJson<CalendarIndex>(indexFile(this.dir))) ?? emptyIndex(this.props.id);
    snap.tombstones ??= {};
    snap.tombstone_floor ??= 0;
    this.snapshotMtime = await mtime(indexFile(this.dir));
    let text = '';
    try {
      text = await fsp.readFile(journalFile(this.dir), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.journalLines = 0;
    const touched = new Map<string, string | null>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let j: JournalLine;
      try {
        j = JSON.parse(line) as JournalLine;
      } catch {
        break; // a torn last line from a crash: it was never acknowledged
      }
      this.journalLines += 1;
      if (j.s <= snap.seq) continue;
      applyLine(snap, j, this.props.id);
      if ('m' in j && j.t !== undefined) touched.set(j.n, j.t);
      else if ('d' in j) touched.set(j.n, null);
    }
    for (const [name, t] of touched) {
      this.dirty.add(name);
      if (t === null) await fsp.rm(eventFile(this.dir, name), { force: true });
      else if ((await readEvent(this.dir, name)) !== t) await writeFileDurable(eventFile(this.dir, name), t);
    }
    this.index = snap;
    this.count = Object.keys(snap.events).length;
    this.uids = null;
    this.journal = new AppendLog(journalFile(this.dir));
    await this.journal.open();
    this.expected = this.journal.size;
    this.idle.touch();
  }

  /** Reload when another process changed the files since we read them (cheap stat check). */
  async refreshIfChanged(): Promise<void> {
    const [size, indexMtime] = await Promise.all([fsp.stat(journalFile(this.dir)).then((s) => s.size, () => 0), mtime(indexFile(this.dir))]);
    const ours = size >= this.journal.size && size <= this.expected;
    if (!ours || indexMtime !== this.snapshotMtime) await this.reload();
  }

  /** The resource name holding `uid`, if any (map built on first use, kept current). */
  nameOfUid(uid: string): string | undefined {
    if (!this.uids) {
      this.uids = new Map();
      for (const [name, m] of Object.entries(this.index.events)) this.uids.set(m.uid, name);
    }
    return this.uids.get(uid);
  }

  /**
   * Write an event's text to a temp file beside its final name, outside the actor turn (many
   * writers stage at once); commitPut renames it. Remove it with `discard` when the write is refused.
   */
  async stage(name: string, text: string): Promise<string> {
    const tmp = tempPath(eventFile(this.dir, name));
    await fsp.writeFile(tmp, text, { mode: 0o600 });
    return tmp;
  }

  /** Remove a staged file that will not be committed. */
  async discard(staged: string): Promise<void> {
    await fsp.rm(staged, { force: true });
  }

  /**
   * Store an event (caller holds the actor): the staged file (or a new temp file) renamed over
   * the event file, journal line with the text. Await `durable` after the actor turn before acknowledging.
   */
  async commitPut(name: string, text: string, meta: Omit<EventMeta, 'seq' | 'modified'>, staged?: string): Promise<Pending<EventMeta>> {
    const tmp = staged ?? (await this.stage(name, text));
    const s = this.index.seq + 1;
    const full: EventMeta = { ...meta, seq: s, modified: new Date().toISOString() };
    const { durable } = await this.append({ s, c: this.index.ctag + 1, n: name, m: full, t: text });
    const filed = this.afterDurable(name, text, durable, () => renameSync(tmp, eventFile(this.dir, name)));
    await this.compactIfDue();
    return { value: full, durable: filed };
  }

  /** Delete one event resource and leave a tombstone (caller holds the actor; await `durable`). */
  async commitDelete(name: string): Promise<Pending<void>> {
    const { durable } = await this.append({ s: this.index.seq + 1, c: this.index.ctag + 1, n: name, d: 1 });
    const filed = this.afterDurable(name, null, durable, () => rmSync(eventFile(this.dir, name), { force: true }));
    await this.compactIfDue();
    return { value: undefined, durable: filed };
  }

  /**
   * Write-ahead: an event file is replaced or removed only once the journal line that records
   * the change (and carries the new text) is on disk, so a crash can never leave a file that
   * no durable line explains or lose the acknowledged text it replaced. Until then readers get
   * the new text from `unfiled`. The file step is synchronous, so steps run in journal order.
   */
  private afterDurable(name: string, text: string | null, durable: Promise<void>, fileStep: () => void): Promise<void> {
    this.unfiled.set(name, text);
    this.dirty.add(name);
    const done = durable.then(
      () => {
        fileStep();
      },
    ).finally(() => {
      if (this.unfiled.get(name) === text) this.unfiled.delete(name);
      this.filing.delete(done);
    });
    this.filing.add(done);
    done.catch(() => {}); // awaited by the caller after the actor turn
    return done;
  }

  /** The text of an event whose file is not written yet (null: being deleted), or undefined. */
  unfiledText(name: string): string | null | undefined {
    return this.unfiled.get(name);
  }

  /** Replace calendar.json (PROPPATCH) and rotate ctag/sync token; durable on return. */
  async setProps(props: CalendarProps): Promise<void> {
    await writeJsonDurable(propsFile(this.dir), props);
    this.props = props;
    const { durable } = await this.append({ s: this.index.seq + 1, c: this.index.ctag + 1, p: 1 });
    await this.compactIfDue();
    await durable;
  }

  /** Apply a line in memory and queue it for the journal; returns the durability promise. */
  private async append(line: JournalLine): Promise<{ durable: Promise<void> }> {
    const data = JSON.stringify(line) + '\n';
    this.expected += Buffer.byteLength(data);
    const durable = this.journal.append(data);
    durable.catch(() => {}); // awaited by the caller after the actor turn
    this.idle.touch();
    if ('n' in line) {
      const old = this.index.events[line.n];
      if (this.uids) {
        if (old) this.uids.delete(old.uid);
        if ('m' in line) this.uids.set(line.m.uid, line.n);
      }
      if ('m' in line && !old) this.count += 1;
      if ('d' in line && old) this.count -= 1;
    }
    applyLine(this.index, line, this.props.id);
    this.journalLines += 1;
    return { durable };
  }

  /** Compact once the journal is long (after the caller registered its file step). */
  private async compactIfDue(): Promise<void> {
    if (this.journalLines >= Math.max(512, this.count / 8) || this.expected > COMPACT_BYTES) await this.compact();
  }

  /** Make event files durable, rewrite index.json from memory and empty the journal. */
  async compact(): Promise<void> {
    await this.journal.close();
    await Promise.allSettled([...this.filing]);
    await fsyncFiles([...this.dirty].map((name) => eventFile(this.dir, name)), 16);
    await fsyncDir(eventsDir(this.dir));
    this.dirty.clear();
    pruneTombstones(this.index);
    await writeJsonDurable(indexFile(this.dir), this.index);
    this.snapshotMtime = await mtime(indexFile(this.dir));
    await fsp.truncate(journalFile(this.dir), 0);
    this.journal = new AppendLog(journalFile(this.dir));
    await this.journal.open();
    this.journalLines = 0;
    this.expected = this.journal.size;
  }

  /** Close the journal file (waits for appends in flight). */
  async close(): Promise<void> {
    this.idle.cancel();
    await this.journal.close();
  }
}

function emptyIndex(id: string): CalendarIndex {
  return { version: 1, ctag: 1, seq: 0, sync_token: syncToken(id, 0), events: {}, tombstones: {}, tombstone_floor: 0 };
}

function applyLine(ix: CalendarIndex, j: JournalLine, id: string): void {
  ix.seq = j.s;
  ix.ctag = j.c;
  ix.sync_token = syncToken(id, j.s);
  if ('m' in j) {
    ix.events[j.n] = j.m;
    delete ix.tombstones[j.n];
  } else if ('d' in j) {
    delete ix.events[j.n];
    ix.tombstones[j.n] = j.s;
  }
}

function pruneTombstones(ix: CalendarIndex): void {
  const names = Object.keys(ix.tombstones);
  if (names.length <= MAX_TOMBSTONES) return;
  names.sort((a, b) => ix.tombstones[a]! - ix.tombstones[b]!);
  const drop = names.slice(0, names.length - MAX_TOMBSTONES);
  for (const n of drop) {
    ix.tombstone_floor = Math.max(ix.tombstone_floor, ix.tombstones[n]!);
    delete ix.tombstones[n];
  }
}

const mtime = (p: string): Promise<number> => fsp.stat(p).then((s) => s.mtimeMs, () => 0);
