/**
 * Times of iCalendar values as UTC ms: VTIMEZONE/TZID (IANA names without a VTIMEZONE are
 * resolved with Intl), floating times read as UTC, all-day events; UTC formatting and parsing.
 */
import ICAL from 'ical.js';
import { ValidationError } from '../errors.js';
import type { Component, Time } from './parse.js';

/** One day in ms. */
export const DAY = 86_400_000;

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

/** The TZID parameter of a component's property, if any. */
export const tzidOf = (c: Component, prop: string): string | null => {
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

/** Whether [s, e) meets [rs, re) (RFC 4791 9.9; a zero-length instance at its start). */
export const overlaps = (s: number, e: number, rs: number, re: number): boolean =>
  e > s ? s < re && e > rs : s >= rs && s < re;

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

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
