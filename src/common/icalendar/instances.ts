/**
 * Instance expansion over a range with EXDATE, RDATE and RECURRENCE-ID overrides, and the
 * overall range of a resource for the calendar index.
 */
import ICAL from 'ical.js';
import { splitItems, isRecurringItem, type Component, type Time } from './parse.js';
import { DAY, timeToMs, tzidOf, boundsOf, overlaps } from './time.js';

/** Instances expanded at PUT time for the index range hint; beyond that the hint is unbounded. */
const RANGE_ITERATIONS = 1000;
/** At most this many instances are visited per event and query (unbounded RRULEs). */
export const MAX_INSTANCES = 20_000;

/** One occurrence: UTC ms bounds, the RECURRENCE-ID (UTC ms) for recurring events, its component. */
export interface Instance {
  start: number;
  end: number;
  recurrenceId: number | null;
  allDay: boolean;
  item: Component;
}

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
