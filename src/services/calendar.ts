/**
 * Calendars of every user: collections, event resources, reports. Every write goes through the
 * user's actor (`mutate`: serial + flock); the slow parts (iCalendar validation, writing the
 * event's temp file, expansion in the worker pool) happen outside the actor turn, which only
 * renames the temp file and queues the journal line (its fsync is awaited after the turn). Loaded
 * calendars live in the actor's `state` and are read lock-free.
 */
import { createHash } from 'node:crypto';
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { WorkerPool } from '../workers/pool.js';
import type { Logger } from '../common/types.js';
import { calendarDir, calendarsDir } from '../store/layout.js';
import {
  CalendarStore, calendarExists, createCalendar, listCalendarNames, readEvent, removeCalendar, parseSyncToken, type CalendarProps, type EventMeta,
} from '../store/calendar.js';
import { expandsToItself } from '../common/icalendar/expand.js';
import { validateResource } from '../common/icalendar/validate.js';
import type { CompFilter } from '../common/caldav-filter.js';
import type { ExpandOutput } from '../workers/expand-rrule.js';
import { splitAddress } from '../common/names.js';
import { ConflictError, HttpError, NotFoundError, ValidationError } from '../common/errors.js';
import { etagMatches } from '../common/etag.js';

/** The default calendar and the iMIP inbox every user has. */
export const DEFAULT_CALENDAR = 'default';
/** Incoming invitations land here (reference.md). */
export const SCHEDULE_INBOX = 'Schedule-Inbox';

/** A write notification for schedulers (iMIP): text after, text before (undefined = none). */
export interface CalendarWrite {
  userId: string;
  calendar: string;
  name: string;
  text?: string;
  previous?: string;
}

/** Preconditions of a write (RFC 7232 / RFC 4791). */
export interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** What a REPORT asks of a calendar. */
export interface QueryRequest {
  filter?: CompFilter;
  data: 'none' | 'full' | 'expand' | 'limit';
  range?: { start: number; end: number };
}

/** One matching resource. */
export interface QueryHit {
  name: string;
  etag: string;
  data?: string;
}

const BATCH = 64;
const TEXT_CACHE_MAX = 100_000;
const BODY_CAP = 4 * 1024 * 1024;

/** Check a calendar or event resource name (one path segment, no dot files, no separators). */
export function checkResourceName(name: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 240 || name.startsWith('.') || /[/\\\x00-\x1f\x7f]/.test(name)) {
    throw new ValidationError(`Invalid ${what} name`);
  }
  return name;
}

/** The quoted content-hashed ETag of a body (SHA-256, 32 hex chars). */
export const etagOf = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** Calendar collections and events of all users. */
export class CalendarService {
  /** Event texts by file, checked against the index's ETag before use (bounded). */
  private readonly texts = new Map<string, { etag: string; text: string }>();
  /** Called after an event write or delete is durable (outside the actor turn). */
  readonly afterWrite: ((w: CalendarWrite) => Promise<void>)[] = [];

  constructor(
    readonly root: string,
    private readonly actors: ActorRegistry,
    private readonly changes: ChangeBus,
    private readonly pool: WorkerPool,
    private readonly log: Logger,
  ) {}

  private dir(userId: string, cal: string): string {
    const a = splitAddress(userId)!;
    return calendarDir(this.root, a.domain, a.user, cal);
  }

  /** Create `default` and `Schedule-Inbox` when missing (new users, first access). */
  async ensureDefaults(userId: string): Promise<void> {
    const actor = this.actors.user(userId);
    if (actor.state.get('cal:defaults') === true) return;
    await actor.mutate(async () => {
      for (const [name, displayname] of [[DEFAULT_CALENDAR, 'Calendar'], [SCHEDULE_INBOX, 'Schedule Inbox']] as const) {
        const dir = this.dir(userId, name);
        if (!(await calendarExists(dir))) {
          await createCalendar(dir, { name, displayname, color: '#3a87adff', description: '', components: ['VEVENT', 'VTODO'] });
        }
      }
    });
    actor.state.set('cal:defaults', true);
  }

  /** Names of the user's calendars. */
  async names(userId: string): Promise<string[]> {
    await this.ensureDefaults(userId);
    const a = splitAddress(userId)!;
    return listCalendarNames(calendarsDir(this.root, a.domain, a.user));
  }

  /** A loaded calendar (cached in the user's actor), or undefined. */
  async get(userId: string, cal: string): Promise<CalendarStore | undefined> {
    checkResourceName(cal, 'calendar');
    await this.ensureDefaults(userId);
    const actor = this.actors.user(userId);
    const key = `cal:${cal}`;
    let p = actor.state.get(key) as Promise<CalendarStore | undefined> | undefined;
    if (!p) {
      p = CalendarStore.load(this.dir(userId, cal));
      actor.state.set(key, p);
      p.then((s) => { if (!s) actor.state.delete(key); }, () => actor.state.delete(key));
    }
    return p;
  }

  /** A loaded calendar or NotFoundError. */
  async require(userId: string, cal: string): Promise<CalendarStore> {
    const s = await this.get(userId, cal);
    if (!s) throw new NotFoundError('Calendar not found');
    return s;
  }

  /** MKCALENDAR: create a collection (ConflictError when the name is taken). */
  async create(userId: string, cal: string, props: Partial<Pick<CalendarProps, 'displayname' | 'color' | 'description' | 'components'>>): Promise<void> {
    checkResourceName(cal, 'calendar');
    await this.ensureDefaults(userId);
    const dir = this.dir(userId, cal);
    await this.actors.user(userId).mutate(async () => {
      if (await calendarExists(dir)) throw new ConflictError('Calendar already exists');
      await createCalendar(dir, {
        name: cal, displayname: props.displayname ?? cal, color: props.color ?? '#3a87adff',
        description: props.description ?? '', components: props.components ?? ['VEVENT', 'VTODO'],
      });
      this.actors.user(userId).state.delete(`cal:${cal}`);
    });
    this.changes.publish(userId, { type: 'calendar-changed', calendar: cal });
  }

  /** DELETE of a whole calendar. */
  async removeCalendar(userId: string, cal: string): Promise<void> {
    const store = await this.require(userId, cal);
    const actor = this.actors.user(userId);
    await actor.mutate(async () => {
      await store.close();
      await removeCalendar(store.dir);
      actor.state.delete(`cal:${cal}`);
      if (cal === DEFAULT_CALENDAR || cal === SCHEDULE_INBOX) actor.state.delete('cal:defaults');
    });
    this.changes.publish(userId, { type: 'calendar-changed', calendar: cal });
  }

  /** PROPPATCH: change displayname / color / description. */
  async setProps(userId: string, cal: string, patch: Partial<Pick<CalendarProps, 'displayname' | 'color' | 'description'>>): Promise<void> {
    const store = await this.require(userId, cal);
    await this.actors.user(userId).mutate(async () => {
      await store.refreshIfChanged();
      await store.setProps({ ...store.props, ...patch });
    });
    this.changes.publish(userId, { type: 'calendar-changed', calendar: cal });
  }

  /** One event's text and metadata, or undefined. */
  async read(userId: string, cal: string, name: string): Promise<{ text: string; meta: EventMeta } | undefined> {
    const store = await this.get(userId, cal);
    const meta = store?.index.events[name];
    if (!store || !meta) return undefined;
    const text = await this.text(store, name);
    return text === undefined ? undefined : { text, meta };
  }

  /** An event's text through the cache (the index ETag says whether the cached copy is current). */
  async text(store: CalendarStore, name: string): Promise<string | undefined> {
    const meta = store.index.events[name];
    if (!meta) return undefined;
    const unfiled = store.unfiledText(name);
    if (unfiled !== undefined) return unfiled ?? undefined;
    const key = `${store.dir}\0${name}`;
    const hit = this.texts.get(key);
    if (hit && hit.etag === meta.etag) return hit.text;
    const text = await readEvent(store.dir, name);
    if (text === undefined) return undefined;
    if (this.texts.size >= TEXT_CACHE_MAX) this.texts.clear();
    if (etagOf(text) === meta.etag) this.texts.set(key, { etag: meta.etag, text });
    return text;
  }

  /**
   * PUT an event resource: validate, stage (fsync) outside the actor, then check the
   * preconditions and commit inside it. Returns the new ETag and whether it was created.
   */
  async put(
    userId: string, cal: string, name: string, text: string, cond: WriteConditions = {}, opts: { schedule?: boolean } = {},
  ): Promise<{ etag: string; created: boolean }> {
    checkResourceName(name, 'resource');
    if (text.length > BODY_CAP) throw new HttpError(413, 'Calendar resource too large');
    const { info } = validateResource(text);
    const store = await this.require(userId, cal);
    if (!store.props.components.includes(info.component)) {
      throw new HttpError(403, `This calendar does not accept ${info.component} (supported-calendar-component)`);
    }
    const etag = etagOf(text);
    let previous: string | undefined;
    let created = false;
    const staged = await store.stage(name, text);
    const pending = await this.actors.user(userId).mutate(async () => {
      await store.refreshIfChanged();
      const cur = store.index.events[name];
      if (cond.ifNoneMatch !== undefined && etagMatches(cond.ifNoneMatch, cur?.etag)) throw new HttpError(412, 'Precondition failed');
      if (cond.ifMatch !== undefined && !etagMatches(cond.ifMatch, cur?.etag)) throw new HttpError(412, 'Precondition failed');
      const other = store.nameOfUid(info.uid);
      if (other !== undefined && other !== name) throw new HttpError(409, `UID already used by ${other}.ics (no-uid-conflict)`);
      if (cur && this.afterWrite.length > 0) previous = await this.text(store, name);
      created = !cur;
      return store.commitPut(name, text, { ...info, etag, size: Buffer.byteLength(text) }, staged);
    }).catch(async (err: unknown) => {
      await store.discard(staged);
      throw err;
    });
    await pending.durable;
    this.texts.set(`${store.dir}\0${name}`, { etag, text });
    this.changes.publish(userId, { type: 'calendar-changed', calendar: cal, uid: info.uid });
    if (opts.schedule !== false) this.notify({ userId, calendar: cal, name, text, previous });
    return { etag, created };
  }

  /** DELETE of one event resource (If-Match honoured). */
  async remove(userId: string, cal: string, name: string, cond: WriteConditions = {}, opts: { schedule?: boolean } = {}): Promise<void> {
    const store = await this.require(userId, cal);
    let previous: string | undefined;
    const pending = await this.actors.user(userId).mutate(async () => {
      await store.refreshIfChanged();
      const cur = store.index.events[name];
      if (!cur) throw new NotFoundError('Event not found');
      if (cond.ifMatch !== undefined && !etagMatches(cond.ifMatch, cur.etag)) throw new HttpError(412, 'Precondition failed');
      if (this.afterWrite.length > 0) previous = await this.text(store, name);
      return store.commitDelete(name);
    });
    await pending.durable;
    this.changes.publish(userId, { type: 'calendar-changed', calendar: cal });
    if (opts.schedule !== false) this.notify({ userId, calendar: cal, name, previous });
  }

  /** The calendar and resource name holding `uid` (Schedule-Inbox first), or undefined. */
  async findByUid(userId: string, uid: string): Promise<{ cal: string; name: string } | undefined> {
    const names = await this.names(userId);
    for (const cal of [SCHEDULE_INBOX, ...names.filter((n) => n !== SCHEDULE_INBOX)]) {
      const name = (await this.get(userId, cal))?.nameOfUid(uid);
      if (name !== undefined) return { cal, name };
    }
    return undefined;
  }

  private notify(w: CalendarWrite): void {
    for (const hook of this.afterWrite) {
      hook(w).catch((err) => this.log.error('calendar hook failed', { err: err as Error, user: w.userId }));
    }
  }

  /** calendar-query: the resources matching a filter, with calendar-data in the asked form. */
  async query(userId: string, cal: string, q: QueryRequest): Promise<QueryHit[]> {
    const store = await this.require(userId, cal);
    const range = topRange(q.filter);
    const comp = topComponent(q.filter);
    const simple = isSimpleRange(q.filter);
    const hits: QueryHit[] = [];
    const parse: string[] = [];
    const maybeSame: string[] = [];
    for (const [name, meta] of Object.entries(store.index.events)) {
      if (comp && meta.component !== comp) continue;
      if (range && !hintOverlaps(meta, range)) continue;
      // a non-recurring event's index bounds are exact: the match needs no parse
      if (simple && !meta.recurring && meta.start !== null) {
        if (q.data === 'expand') maybeSame.push(name);
        else hits.push({ name, etag: meta.etag });
        continue;
      }
      parse.push(name);
    }
    if (q.data !== 'none') {
      await Promise.all(hits.map(async (h) => { h.data = await this.text(store, h.name); }));
    }
    // expanding a non-recurring event already in UTC restates it: send the stored text, skip the worker
    await Promise.all(maybeSame.map(async (name) => {
      const text = await this.text(store, name);
      if (text !== undefined && expandsToItself(text)) hits.push({ name, etag: store.index.events[name]!.etag, data: text });
      else parse.push(name);
    }));
    const results = await this.evaluate(store, parse, { filter: q.filter, data: q.data, range: q.range });
    for (const r of results.results) {
      if (r.match) hits.push({ name: r.name, etag: store.index.events[r.name]?.etag ?? '', data: r.data });
    }
    return hits.filter((h) => q.data === 'none' || h.data !== undefined);
  }

  /** Free-busy periods of one calendar over a range. */
  async busy(userId: string, cal: string, range: { start: number; end: number }): Promise<ExpandOutput['busy']> {
    const store = await this.require(userId, cal);
    const names = Object.entries(store.index.events)
      .filter(([, m]) => m.component === 'VEVENT' && hintOverlaps(m, range))
      .map(([n]) => n);
    return (await this.evaluate(store, names, { data: 'none', freebusy: range })).busy;
  }

  /** VALARM triggers in [start, end) across one calendar (only resources flagged with alarms). */
  async alarms(userId: string, cal: string, range: { start: number; end: number }): Promise<ExpandOutput['alarms']> {
    const store = await this.require(userId, cal);
    const margin = 8 * 86_400_000;
    const names = Object.entries(store.index.events)
      .filter(([, m]) => m.alarm !== false && hintOverlaps(m, { start: range.start - margin, end: range.end + margin }))
      .map(([n]) => n);
    if (names.length === 0) return [];
    return (await this.evaluate(store, names, { data: 'none', alarms: range })).alarms;
  }

  /** Run the expansion task over files in batches across the pool. */
  private async evaluate(store: CalendarStore, names: string[], base: Omit<import('../workers/expand-rrule.js').ExpandInput, 'items'>): Promise<ExpandOutput> {
    const out: ExpandOutput = { results: [], busy: [], alarms: [] };
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += BATCH) batches.push(names.slice(i, i + BATCH));
    const parts = await Promise.all(batches.map(async (batch) => {
      const items = [];
      for (const name of batch) {
        const ics = await this.text(store, name);
        if (ics !== undefined) items.push({ name, ics, etag: store.index.events[name]?.etag });
      }
      return this.pool.run('expand-rrule', { ...base, items });
    }));
    for (const p of parts) {
      out.results.push(...p.results);
      out.busy.push(...p.busy);
      out.alarms.push(...p.alarms);
    }
    return out;
  }

  /** sync-collection: changes and deletions since `token` (403 valid-sync-token when unusable). */
  async changesSince(userId: string, cal: string, token: string): Promise<{ changed: [string, EventMeta][]; deleted: string[]; token: string }> {
    const store = await this.require(userId, cal);
    const ix = store.index;
    let since = 0;
    if (token.trim() !== '') {
      const seq = parseSyncToken(store.props.id, token);
      if (seq === null || seq > ix.seq || seq < ix.tombstone_floor) {
        throw new HttpError(403, 'valid-sync-token');
      }
      since = seq;
    }
    const changed = Object.entries(ix.events).filter(([, m]) => m.seq > since);
    const deleted = token.trim() === '' ? [] : Object.entries(ix.tombstones).filter(([, s]) => s > since).map(([n]) => n);
    return { changed, deleted, token: ix.sync_token };
  }
}

function topComponent(f?: CompFilter): string | null {
  const c = f?.comps.length === 1 ? f.comps[0]! : null;
  return c && !c.isNotDefined ? c.name.toUpperCase() : null;
}

function topRange(f?: CompFilter): { start: number; end: number } | null {
  const c = f?.comps.length === 1 ? f.comps[0]! : null;
  if (!c?.timeRange || c.isNotDefined) return null;
  return { start: c.timeRange.start ?? -8.64e15, end: c.timeRange.end ?? 8.64e15 };
}

/** VCALENDAR > one VEVENT comp-filter with only a time-range: decidable from the index. */
function isSimpleRange(f?: CompFilter): boolean {
  if (!f || f.props.length > 0 || f.comps.length !== 1) return false;
  const c = f.comps[0]!;
  return c.name.toUpperCase() === 'VEVENT' && !!c.timeRange && c.props.length === 0 && c.comps.length === 0 && !c.isNotDefined;
}

function hintOverlaps(m: EventMeta, r: { start: number; end: number }): boolean {
  if (m.start === null) return true;
  const end = m.end ?? 8.64e15;
  return end > m.start ? m.start < r.end && end > r.start : m.start >= r.start && m.start < r.end;
}
