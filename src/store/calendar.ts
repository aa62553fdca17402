/**
 * One calendar collection on disk (reference.md "Storage layout" of CalDAV):
 * `calendars/{cal}/calendar.json` (name, color, description), `index.json` (ctag, sync_token,
 * per-event metadata, tombstones), `events/{name}.ics`.
 *
 * Invariants: index.json is a snapshot at `seq`; `index.journal` beside it holds one JSON line
 * per later write (put, delete, props), each with its own `s` (seq). Loading replays journal
 * lines with `s > snapshot.seq` (a torn last line is ignored), so a compaction that crashed
 * between writing the snapshot and truncating the journal is harmless. A write costs one event
 * file rename + one journal append, O(1) in the calendar's size; compaction rewrites the
 * snapshot once the journal is long (amortized).
 */
import { promises as fsp } from 'node:fs';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppendLog, fsyncDir, mkdirDurable, readJson, tempPath, writeJsonDurable } from './atomic.js';

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
  | { s: number; c: number; n: string; m: EventMeta }
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

/** Write `data` to a temp file in the events directory and fsync it (before the actor turn). */
export async function stageEvent(dir: string, data: string): Promise<string> {
  await fsp.mkdir(eventsDir(dir), { recursive: true });
  const tmp = tempPath(eventFile(dir, 'staged'));
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Drop a staged temp file that was not committed. */
export const discardStaged = (tmp: string): Promise<void> => fsp.rm(tmp, { force: true });

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

/** A loaded calendar: props + index in memory, journal open for appends. */
export class CalendarStore {
  private journal: AppendLog;
  private journalLines = 0;
  private snapshotMtime = 0;
  private uids: Map<string, string> | null = null;

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

  /** Re-read snapshot and journal from disk. */
  async reload(): Promise<void> {
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
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let j: JournalLine;
      try {
        j = JSON.parse(line) as JournalLine;
      } catch {
        break; // a torn last line from a crash: it was never acknowledged
      }
      this.journalLines += 1;
      if (j.s > snap.seq) applyLine(snap, j, this.props.id);
    }
    this.index = snap;
    this.uids = null;
    await this.journal.close();
    this.journal = new AppendLog(journalFile(this.dir));
    await this.journal.open();
  }

  /** Reload when another process changed the files since we read them (cheap stat check). */
  async refreshIfChanged(): Promise<void> {
    const size = await fsp.stat(journalFile(this.dir)).then((s) => s.size, () => 0);
    if (size !== this.journal.size || (await mtime(indexFile(this.dir))) !== this.snapshotMtime) await this.reload();
  }

  /** The resource name holding `uid`, if any (map built on first use, kept current). */
  nameOfUid(uid: string): string | undefined {
    if (!this.uids) {
      this.uids = new Map();
      for (const [name, m] of Object.entries(this.index.events)) this.uids.set(m.uid, name);
    }
    return this.uids.get(uid);
  }

  /** Commit a staged event file as `name` and record its metadata (caller holds the actor). */
  async commitPut(name: string, staged: string, meta: Omit<EventMeta, 'seq' | 'modified'>): Promise<EventMeta> {
    await fsp.rename(staged, eventFile(this.dir, name));
    await fsyncDir(eventsDir(this.dir));
    const s = this.index.seq + 1;
    const full: EventMeta = { ...meta, seq: s, modified: new Date().toISOString() };
    await this.append({ s, c: this.index.ctag + 1, n: name, m: full });
    return full;
  }

  /** Delete one event resource and leave a tombstone (caller holds the actor). */
  async commitDelete(name: string): Promise<void> {
    await fsp.rm(eventFile(this.dir, name), { force: true });
    await fsyncDir(eventsDir(this.dir));
    await this.append({ s: this.index.seq + 1, c: this.index.ctag + 1, n: name, d: 1 });
  }

  /** Replace calendar.json (PROPPATCH) and rotate ctag/sync token. */
  async setProps(props: CalendarProps): Promise<void> {
    await writeJsonDurable(propsFile(this.dir), props);
    this.props = props;
    await this.append({ s: this.index.seq + 1, c: this.index.ctag + 1, p: 1 });
  }

  private async append(line: JournalLine): Promise<void> {
    await this.journal.append(JSON.stringify(line) + '\n');
    if (this.uids && 'n' in line) {
      const old = this.index.events[line.n];
      if (old) this.uids.delete(old.uid);
      if ('m' in line) this.uids.set(line.m.uid, line.n);
    }
    applyLine(this.index, line, this.props.id);
    this.journalLines += 1;
    const n = Object.keys(this.index.events).length;
    if (this.journalLines >= Math.max(512, n / 8)) await this.compact();
  }

  /** Rewrite index.json from memory and empty the journal. */
  async compact(): Promise<void> {
    pruneTombstones(this.index);
    await writeJsonDurable(indexFile(this.dir), this.index);
    this.snapshotMtime = await mtime(indexFile(this.dir));
    await this.journal.close();
    await fsp.truncate(journalFile(this.dir), 0);
    this.journal = new AppendLog(journalFile(this.dir));
    await this.journal.open();
    this.journalLines = 0;
  }

  /** Close the journal file. */
  async close(): Promise<void> {
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
