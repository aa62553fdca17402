/**
 * iCalendar helpers on ical.js (pure: no I/O, no state beyond ical.js's timezone registry):
 * validation of a CalDAV resource (RFC 4791 5.3.2.1), instance expansion over a range with
 * EXDATE, RDATE and RECURRENCE-ID overrides, VTIMEZONE/TZID (IANA names without a VTIMEZONE
 * are resolved with Intl), floating times read as UTC, all-day events.
 */
import ICAL from 'ical.js';
import { ValidationError } from './errors.js';

type Component = InstanceType<typeof ICAL.Component>;
type Time = InstanceType<typeof ICAL.Time>;

/** Instances expanded at PUT time for the index range hint; beyond that the hint is unbounded. */
const RANGE_ITERATIONS = 1000;
/** At most this many instances are visited per event and query (unbounded RRULEs). */
export const MAX_INSTANCES = 20_000;
const DAY = 86_400_000;

/** What the index keeps about one resource. */
export interface ResourceInfo {
  uid: string;
  component: string;
  start: number | null;
  end: number | null;
  recurring: boolean;
  /** True when some component carries a VALARM (the reminder scan looks only at these). */
  alarm: boolean;
}

/** One occurrence: UTC ms bounds, the RECURRENCE-ID (UTC ms) for recurring events, its component. */
export interface Instance {
  start: number;
  end: number;
  recurrenceId: number | null;
  allDay: boolean;
  item: Component;
}

/** Parse iCalendar text into the VCALENDAR component (ValidationError with the reason). */
export function parseCalendar(text: string): Component {
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    throw new ValidationError(`Invalid iCalendar data: ${(err as Error).message}`);
  }
  if (!Array.isArray(jcal) || typeof jcal[0] !== 'string') throw new ValidationError('Invalid iCalendar data: expected one VCALENDAR');
  const cal = new ICAL.Component(jcal as unknown as [string, unknown[], unknown[]]);
  if (cal.name !== 'vcalendar') throw new ValidationError('Invalid iCalendar data: top component must be VCALENDAR');
  registerTimezones(cal);
  return cal;
}

/** Register the VTIMEZONEs of a calendar so TZID references resolve. */
export function registerTimezones(cal: Component): void {
  for (const tz of cal.getAllSubcomponents('vtimezone')) {
    const id = tz.getFirstPropertyValue('tzid');
    if (typeof id === 'string' && !ICAL.TimezoneService.has(id)) {
      try {
        ICAL.TimezoneService.register(tz);
      } catch {
        /* an unusable VTIMEZONE: times fall back to Intl or floating */
      }
    }
  }
}

/** The scheduling components of a calendar (everything but VTIMEZONE). */
export const itemsOf = (cal: Component): Component[] =>
  cal.getAllSubcomponents().filter((c) => c.name !== 'vtimezone');

/**
 * Validate a resource stored by PUT (RFC 4791 5.3.2.1): one component type, one UID, no
 * METHOD, parseable dates, at most one master; RECURRENCE-ID overrides stay in the same file.
 */
export function validateResource(text: string): { cal: Component; info: ResourceInfo } {
  try {
    return validateParsed(text);
  } catch (err) {
    // ical.js decodes values lazily and throws plain Errors for bad ones (`DTSTART:2024`).
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`Invalid iCalendar data: ${(err as Error).message}`);
  }
}

function validateParsed(text: string): { cal: Component; info: ResourceInfo } {
  const cal = parseCalendar(text);
  if (cal.getFirstProperty('method')) throw new ValidationError('Calendar object resources must not contain METHOD');
  const items = itemsOf(cal);
  if (items.length === 0) throw new ValidationError('No VEVENT, VTODO or VJOURNAL component');
  const kinds = new Set(items.map((c) => c.name));
  if (kinds.size > 1) throw new ValidationError('A resource holds one component type only');
  const kind = items[0]!.name;
  if (!['vevent', 'vtodo', 'vjournal', 'vfreebusy'].includes(kind)) throw new ValidationError(`Unsupported component ${kind.toUpperCase()}`);
  const uids = new Set(items.map((c) => c.getFirstPropertyValue('uid')));
  if (uids.size !== 1) throw new ValidationError('All components of a resource must share one UID');
  const uid = [...uids][0];
  if (typeof uid !== 'string' || uid.trim() === '') throw new ValidationError('Missing UID');
  const masters = items.filter((c) => !c.hasProperty('recurrence-id'));
  if (masters.length > 1) throw new ValidationError('More than one master component for the UID');
  hydrate(cal);
  for (const c of items) checkDates(c);
  const alarm = items.some((c) => c.getAllSubcomponents('valarm').length > 0);
  return { cal, info: { uid, component: kind.toUpperCase(), ...rangeOf(cal), recurring: items.some(isRecurringItem), alarm } };
}

const FREQS = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);

/**
 * Decode every property value now (VTIMEZONE rules included): ical.js decodes lazily, so a bad
 * EXDATE or a RRULE without a valid FREQ would otherwise throw later, in a REPORT or the reminder scan.
 */
function hydrate(c: Component): void {
  for (const p of c.getAllProperties()) {
    const values = p.getValues();
    if (p.name === 'rrule' && !values.every((v) => v instanceof ICAL.Recur && FREQS.has(String(v.freq)))) {
      throw new ValidationError('Invalid RRULE (FREQ is required)');
    }
  }
  for (const sub of c.getAllSubcomponents()) hydrate(sub);
}

function checkDates(c: Component): void {
  for (const name of ['dtstart', 'dtend', 'due', 'recurrence-id']) {
    const p = c.getFirstProperty(name);
    if (!p) continue;
    const v = p.getFirstValue();
    if (!(v instanceof ICAL.Time) || Number.isNaN(v.toUnixTime())) throw new ValidationError(`Invalid ${name.toUpperCase()}`);
  }
  if (c.name === 'vevent' && c.hasProperty('dtend') && c.hasProperty('duration')) {
    throw new ValidationError('VEVENT may not have both DTEND and DURATION');
  }
  const rr = c.getFirstProperty('rrule');
  const rv = rr?.getFirstValue();
  if (rr && (!(rv instanceof ICAL.Recur) || !rv.freq)) throw new ValidationError('Invalid RRULE (FREQ is required)');
  if (rr && !c.hasProperty('dtstart')) throw new ValidationError('RRULE needs DTSTART');
}

const isRecurringItem = (c: Component): boolean =>
  c.hasProperty('rrule') || c.hasProperty('rdate') || c.hasProperty('recurrence-id');

/** UTC ms of a Time; a TZID without VTIMEZONE is resolved as an IANA zone, floating as UTC. */
export function timeToMs(t: Time, tzid?: string | null): number {
  if (t.isDate) return Date.UTC(t.year, t.month - 1, t.day);
  const zid = t.zone?.tzid;
  if ((zid === 'floating' || zid === undefined) && tzid) {
    const ms = wallToUtc(t, tzid);
    if (ms !== null) return ms;
  }
  return t.toUnixTime() * 1000;
}

const fmtCache = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormat(tzid: string): Intl.DateTimeFormat | null {
  if (!fmtCache.has(tzid)) {
    try {
      fmtCache.set(tzid, new Intl.DateTimeFormat('en-US', {
        timeZone: tzid, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      }));
    } catch {
      fmtCache.set(tzid, null);
    }
  }
  return fmtCache.get(tzid)!;
}

function zoneOffset(fmt: Intl.DateTimeFormat, utc: number): number {
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(utc))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(utc / 1000) * 1000;
}

function wallToUtc(t: Time, tzid: string): number | null {
  const fmt = zoneFormat(tzid.replace(/^\/[^/]*\//, ''));
  if (!fmt) return null;
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  let utc = wall - zoneOffset(fmt, wall);
  const second = wall - zoneOffset(fmt, utc);
  if (second !== utc) utc = second;
  return utc;
}

const tzidOf = (c: Component, prop: string): string | null => {
  const p = c.getFirstProperty(prop);
  const v = p?.getParameter('tzid');
  return typeof v === 'string' ? v : null;
};

/** Start/end (UTC ms) of one component instance as stored (no recurrence). */
export function boundsOf(c: Component): { start: number; end: number; allDay: boolean } | null {
  const startProp = c.name === 'vtodo' ? (c.hasProperty('dtstart') ? 'dtstart' : 'due') : 'dtstart';
  const s = c.getFirstPropertyValue(startProp);
  if (!(s instanceof ICAL.Time)) return null;
  const start = timeToMs(s, tzidOf(c, startProp));
  const endProp = c.name === 'vtodo' ? 'due' : 'dtend';
  const e = c.getFirstPropertyValue(endProp);
  let end: number;
  if (e instanceof ICAL.Time && startProp !== endProp) end = timeToMs(e, tzidOf(c, endProp));
  else {
    const d = c.getFirstPropertyValue('duration');
    if (d instanceof ICAL.Duration) end = start + d.toSeconds() * 1000;
    else end = s.isDate ? start + DAY : start;
  }
  return { start, end: Math.max(end, start), allDay: s.isDate };
}

/** The master component (without RECURRENCE-ID) and the overrides of a resource. */
export function splitItems(cal: Component): { master: Component | null; overrides: Component[] } {
  const items = itemsOf(cal);
  return {
    master: items.find((c) => !c.hasProperty('recurrence-id')) ?? null,
    overrides: items.filter((c) => c.hasProperty('recurrence-id')),
  };
}

const overlaps = (s: number, e: number, rs: number, re: number): boolean =>
  e > s ? s < re && e > rs : s >= rs && s < re;

/**
 * Every instance overlapping [rangeStart, rangeEnd) (RFC 4791 9.9 semantics), at most
 * MAX_INSTANCES visited per master; overrides replace their slot, EXDATEs remove theirs.
 */
export function instancesIn(cal: Component, rangeStart: number, rangeEnd: number): Instance[] {
  // the filter and then the expand output ask the same calendar for the same range: answer twice from one expansion
  const last = LAST_INSTANCES.get(cal);
  if (last && last.start === rangeStart && last.end === rangeEnd) return last.out.slice();
  const out = computeInstances(cal, rangeStart, rangeEnd);
  LAST_INSTANCES.set(cal, { start: rangeStart, end: rangeEnd, out });
  return out.slice();
}

const LAST_INSTANCES = new WeakMap<Component, { start: number; end: number; out: Instance[] }>();

function computeInstances(cal: Component, rangeStart: number, rangeEnd: number): Instance[] {
  const { master, overrides } = splitItems(cal);
  const out: Instance[] = [];
  const byRid = new Map<number, Component>();
  for (const o of overrides) {
    const rid = o.getFirstPropertyValue('recurrence-id');
    if (rid instanceof ICAL.Time) byRid.set(timeToMs(rid, tzidOf(o, 'recurrence-id')), o);
  }
  if (master) {
    const b = boundsOf(master);
    if (b && !isRecurringItem(master)) {
      if (overlaps(b.start, b.end, rangeStart, rangeEnd)) out.push({ ...b, recurrenceId: null, item: master });
    } else if (b) {
      const sr = seriesOf(master, b);
      extendSeries(sr, rangeEnd);
      const dur = sr.dur;
      for (let i = lowerBound(sr.starts, rangeStart - dur); i < sr.starts.length; i++) {
        const start = sr.starts[i]!;
        if (start >= rangeEnd && !(dur === 0 && start === rangeStart)) break;
        if (byRid.has(start)) continue;
        if (overlaps(start, start + dur, rangeStart, rangeEnd)) {
          out.push({ start, end: start + dur, recurrenceId: start, allDay: b.allDay, item: master });
        }
      }
    }
  }
  for (const [rid, o] of byRid) {
    if (o.getFirstPropertyValue('status') === 'CANCELLED' && master) continue;
    const b = boundsOf(o);
    if (b && overlaps(b.start, b.end, rangeStart, rangeEnd)) out.push({ ...b, recurrenceId: rid, item: o });
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The expanded instance starts of a recurring master, computed lazily and kept with the
 * component (a parsed calendar reused across queries answers later ranges by binary search).
 */
interface Series {
  starts: number[];
  dur: number;
  /** The next instance start, or null when the set is exhausted (null: nothing left to ask). */
  next: (() => number | null) | null;
}

const SERIES = new WeakMap<Component, Series>();

function seriesOf(master: Component, b: { start: number; end: number }): Series {
  let sr = SERIES.get(master);
  if (!sr) {
    sr = { starts: [], dur: b.end - b.start, next: plainSeries(master, b.start) ?? icalSeries(master) };
    SERIES.set(master, sr);
  }
  return sr;
}

/** The instance starts as ical.js's RecurExpansion gives them (any rule, EXDATE, RDATE, zones). */
function icalSeries(master: Component): () => number | null {
  const it = new ICAL.Event(master).iterator();
  const tzid = tzidOf(master, 'dtstart');
  return () => {
    const t = it.next();
    return t ? timeToMs(t, tzid) : null;
  };
}

const WEEKDAYS: Record<string, number> = { SU: 0, MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6 };

/**
 * The instance starts of the commonest rules by arithmetic instead of ical.js's iterator (which
 * dominates a cold time-range query): one RRULE, FREQ=DAILY or WEEKLY without BY parts, or
 * WEEKLY;BYDAY=... with INTERVAL 1; COUNT and UNTIL; a UTC, floating or all-day DTSTART (no
 * DST); no RDATE, EXDATE or EXRULE. Same starts as ical.js (unit-tested against it); null for
 * anything else.
 */
function plainSeries(master: Component, first: number): (() => number | null) | null {
  if (master.getAllProperties('rrule').length !== 1 || master.hasProperty('rdate') || master.hasProperty('exdate') || master.hasProperty('exrule')) return null;
  const start = master.getFirstPropertyValue('dtstart');
  const rr = master.getFirstPropertyValue('rrule');
  if (!(start instanceof ICAL.Time) || !(rr instanceof ICAL.Recur) || tzidOf(master, 'dtstart') !== null) return null;
  const kind = (t: Time) => (t.isDate ? 'date' : t.zone?.tzid === 'UTC' ? 'utc' : t.zone?.tzid === 'floating' || t.zone === undefined ? 'floating' : 'zoned');
  if (kind(start) === 'zoned') return null;
  const step = rr.freq === 'DAILY' ? DAY : rr.freq === 'WEEKLY' ? 7 * DAY : 0;
  if (step === 0) return null;
  const interval = Math.max(1, rr.interval || 1);
  const parts = Object.entries(rr.parts ?? {});
  let days: Set<number> | null = null;
  if (parts.length > 0) {
    const byday = parts.length === 1 && parts[0]![0] === 'BYDAY' ? parts[0]![1] : null;
    if (rr.freq !== 'WEEKLY' || interval !== 1 || !Array.isArray(byday) || byday.length === 0) return null;
    days = new Set();
    for (const d of byday) {
      const n = WEEKDAYS[String(d)];
      if (n === undefined) return null;
      days.add(n);
    }
  }
  let until: number | null = null;
  if (rr.until) {
    if (kind(rr.until) !== kind(start)) return null;
    until = timeToMs(rr.until);
  }
  const count = rr.count ?? null;
  let emitted = 0;
  let k = 0;
  return () => {
    for (;;) {
      if (count !== null && emitted >= count) return null;
      const s = days ? first + k * DAY : first + k * interval * step;
      k++;
      if (until !== null && s > until) return null;
      if (days && !days.has(new Date(s).getUTCDay())) continue;
      emitted++;
      return s;
    }
  };
}

function extendSeries(sr: Series, until: number): void {
  while (sr.next && (sr.starts.length === 0 || sr.starts[sr.starts.length - 1]! < until)) {
    if (sr.starts.length >= MAX_INSTANCES) {
      sr.next = null;
      break;
    }
    const next = sr.next();
    if (next === null) {
      sr.next = null;
      break;
    }
    sr.starts.push(next);
  }
}

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const STEP_MS: Record<string, number> = { SECONDLY: 1000, MINUTELY: 60_000, HOURLY: 3_600_000, DAILY: DAY, WEEKLY: 7 * DAY };

/**
 * The longest gap between instances of a COUNT rule whose instances come at least once per
 * period: a plain FREQ (no BY parts) or WEEKLY with only BYDAY; null for anything else (which
 * is iterated). count x step (+ a day for DST shifts) then bounds the set without expanding it.
 */
function countStep(rr: InstanceType<typeof ICAL.Recur>): number | null {
  const freq = String(rr.freq);
  const parts = Object.keys(rr.parts ?? {});
  const plain = parts.length === 0 || (freq === 'WEEKLY' && parts.length === 1 && parts[0] === 'BYDAY');
  const ms = STEP_MS[freq];
  return plain && ms !== undefined ? ms * Math.max(1, rr.interval || 1) : null;
}

/** The overall range of a resource for the index: null end = unbounded. */
export function rangeOf(cal: Component): { start: number | null; end: number | null } {
  const { master, overrides } = splitItems(cal);
  let start: number | null = null;
  let end: number | null = null;
  const widen = (s: number, e: number) => {
    start = start === null ? s : Math.min(start, s);
    end = end === null ? e : Math.max(end, e);
  };
  for (const o of overrides) {
    const b = boundsOf(o);
    if (b) widen(b.start, b.end);
  }
  if (!master) return { start, end };
  const b = boundsOf(master);
  if (!b) return { start: null, end: null };
  if (!isRecurringItem(master)) {
    widen(b.start, b.end);
    return { start, end };
  }
  const rr = master.getFirstPropertyValue('rrule');
  const bounded = !(rr instanceof ICAL.Recur) || rr.count !== null || rr.until !== null;
  if (!bounded) return { start: Math.min(start ?? b.start, b.start), end: null };
  const dur = b.end - b.start;
  widen(b.start, b.end);
  // The index only needs a superset: UNTIL bounds the set without expanding it (RDATEs still
  // widen it below), and a long COUNT is treated as unbounded rather than iterated at PUT time.
  const rdates = master.hasProperty('rdate');
  if (rr instanceof ICAL.Recur && rr.until !== null && !rdates) {
    widen(b.start, timeToMs(rr.until, tzidOf(master, 'dtstart')) + dur + DAY);
    return { start, end };
  }
  const step = rr instanceof ICAL.Recur && rr.count !== null && !rdates ? countStep(rr) : null;
  if (step !== null && rr instanceof ICAL.Recur) {
    widen(b.start, b.start + (rr.count ?? 0) * step + dur + DAY);
    return { start, end };
  }
  const ev = new ICAL.Event(master);
  const it = ev.iterator();
  const tzid = tzidOf(master, 'dtstart');
  let n = 0;
  for (let next = it.next(); next; next = it.next()) {
    const s = timeToMs(next, tzid);
    widen(s, s + dur);
    if (++n >= RANGE_ITERATIONS) return { start, end: null };
  }
  return { start, end };
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** The lines expand rewrites, and the forms they already have in expanded output. */
const EXPAND_LINE = /^(?:DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|RECURRENCE-ID|BEGIN:VTIMEZONE)\b.*$/gim;
const EXPANDED_FORM = /^(?:DTSTART|DTEND)(?::\d{8}T\d{6}Z|;VALUE=DATE:\d{8})\r?$/i;

/**
 * True when RFC 4791 expand of this non-recurring resource would only restate it: every
 * DTSTART/DTEND already a UTC DATE-TIME or a DATE, no DURATION, no recurrence properties, no
 * VTIMEZONE. Such a resource can be sent as stored (a time-range query then needs no parse).
 */
export function expandsToItself(text: string): boolean {
  for (const m of text.matchAll(EXPAND_LINE)) if (!EXPANDED_FORM.test(m[0])) return false;
  return true;
}

/** Format UTC ms as an iCalendar UTC DATE-TIME (20260101T100000Z) or DATE. */
export function icalUtc(ms: number, date = false): string {
  const t = new Date(ms);
  const y = t.getUTCFullYear();
  if (y >= 1000 && y <= 9999) {
    const d = `${y}${two(t.getUTCMonth() + 1)}${two(t.getUTCDate())}`;
    return date ? d : `${d}T${two(t.getUTCHours())}${two(t.getUTCMinutes())}${two(t.getUTCSeconds())}Z`;
  }
  const iso = t.toISOString();
  const d = iso.slice(0, 10).replace(/-/g, '');
  return date ? d : `${d}T${iso.slice(11, 19).replace(/:/g, '')}Z`;
}

/** Parse an iCalendar UTC DATE-TIME like 20260101T000000Z (CalDAV time-range attributes). */
export function parseUtc(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(value.trim());
  if (!m) throw new ValidationError(`Invalid date-time ${value}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
}

/**
 * RFC 4791 9.6.5 expand: the instances in range as separate components in UTC, each with a
 * RECURRENCE-ID; no RRULE/RDATE/EXDATE, no VTIMEZONE.
 */
export function expandCalendar(cal: Component, rangeStart: number, rangeEnd: number): string {
  let head = HEADS.get(cal);
  if (head === undefined) {
    head = ['BEGIN:VCALENDAR', ...cal.getAllProperties().map((p) => p.toICALString())].join('\r\n');
    HEADS.set(cal, head);
  }
  const parts: string[] = [head];
  for (const inst of instancesIn(cal, rangeStart, rangeEnd)) {
    let lines = TEMPLATES.get(inst.item);
    if (!lines) {
      lines = stripTopLevel(inst.item.toString(), EXPAND_STRIP);
      TEMPLATES.set(inst.item, lines);
    }
    const v = inst.allDay ? ';VALUE=DATE' : '';
    const add = [`DTSTART${v}:${icalUtc(inst.start, inst.allDay)}`];
    if (inst.end !== inst.start) add.push(`DTEND${v}:${icalUtc(inst.end, inst.allDay)}`);
    if (inst.recurrenceId !== null) add.push(`RECURRENCE-ID${v}:${icalUtc(inst.recurrenceId, inst.allDay)}`);
    parts.push([lines[0]!, ...add, ...lines.slice(1)].join('\r\n'));
  }
  parts.push('END:VCALENDAR\r\n');
  return parts.join('\r\n');
}

const HEADS = new WeakMap<Component, string>();
const TEMPLATES = new WeakMap<Component, string[]>();
const EXPAND_STRIP = new Set(['RRULE', 'RDATE', 'EXDATE', 'DTSTART', 'DTEND', 'DURATION', 'RECURRENCE-ID']);

/** The lines of a component's text without the named top-level properties (folded lines kept whole). */
function stripTopLevel(text: string, names: Set<string>): string[] {
  const out: string[] = [];
  let depth = 0;
  let dropping = false;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (!dropping) out.push(line);
      continue;
    }
    const name = /^[A-Za-z0-9-]+/.exec(line)?.[0].toUpperCase() ?? '';
    if (name === 'BEGIN') depth++;
    dropping = depth === 1 && names.has(name);
    if (!dropping) out.push(line);
    if (name === 'END') depth--;
  }
  return out;
}

/** RFC 4791 9.6.6 limit-recurrence-set: the master plus only the overrides overlapping the range. */
export function limitRecurrenceSet(cal: Component, rangeStart: number, rangeEnd: number): string {
  const c = ICAL.Component.fromString(cal.toString());
  for (const o of c.getAllSubcomponents().filter((x) => x.hasProperty('recurrence-id'))) {
    const b = boundsOf(o);
    if (b && !overlaps(b.start, b.end, rangeStart, rangeEnd)) c.removeSubcomponent(o);
  }
  return c.toString() + '\r\n';
}

/** One alarm firing: the instance it belongs to and the trigger time (UTC ms). */
export interface AlarmFiring {
  uid: string;
  summary: string;
  location: string;
  start: number;
  allDay: boolean;
  recurrenceId: number | null;
  alarm: number;
  trigger: number;
}

const ALARM_MARGIN = 8 * DAY;

/**
 * VALARM triggers falling in [from, to): relative (RELATED=START or END, on every instance of
 * a recurring event) and absolute DATE-TIME triggers (once).
 */
export function alarmsIn(cal: Component, from: number, to: number): AlarmFiring[] {
  const out: AlarmFiring[] = [];
  const seenAbsolute = new Set<string>();
  for (const inst of instancesIn(cal, from - ALARM_MARGIN, to + ALARM_MARGIN)) {
    const c = inst.item;
    c.getAllSubcomponents('valarm').forEach((a, i) => {
      const p = a.getFirstProperty('trigger');
      if (!p) return;
      const v = p.getFirstValue();
      let trigger: number;
      if (v instanceof ICAL.Duration) {
        const related = String(p.getParameter('related') ?? 'START').toUpperCase();
        trigger = (related === 'END' ? inst.end : inst.start) + v.toSeconds() * 1000;
      } else if (v instanceof ICAL.Time) {
        trigger = timeToMs(v);
        const k = `${i}:${trigger}`;
        if (seenAbsolute.has(k)) return;
        seenAbsolute.add(k);
      } else return;
      if (trigger < from || trigger >= to) return;
      out.push({
        uid: String(c.getFirstPropertyValue('uid') ?? ''), summary: String(c.getFirstPropertyValue('summary') ?? ''),
        location: String(c.getFirstPropertyValue('location') ?? ''), start: inst.start, allDay: inst.allDay,
        recurrenceId: inst.recurrenceId, alarm: i, trigger,
      });
    });
  }
  return out;
}

/** Mailto addresses of a property's values (ORGANIZER, ATTENDEE), lower-cased. */
export const mailto = (v: unknown): string | null =>
  typeof v === 'string' && /^mailto:/i.test(v) ? v.slice(7).trim().toLowerCase() : null;
