/**
 * What a /caldav/... path names (reference.md "CalDAV"): the root, a principal
 * `/caldav/{user}/`, the calendar home `/caldav/{user}/calendars/`, a calendar
 * `/caldav/{user}/calendars/{cal}/`, or an event `/caldav/{user}/calendars/{cal}/{name}.ics`.
 * `{user}` is the principal's local part or full address; any other user's path is 403.
 */
import { HttpError } from '../../common/errors.js';
import type { Principal } from '../../services/auth.js';
import { checkResourceName } from '../../services/calendar.js';

/** A resolved CalDAV resource. */
export type Target =
  | { kind: 'root' }
  | { kind: 'principal'; userId: string }
  | { kind: 'home'; userId: string }
  | { kind: 'calendar'; userId: string; cal: string }
  | { kind: 'event'; userId: string; cal: string; name: string };

/** The URL prefix of a user's CalDAV tree (local part of the address). */
export const userBase = (p: Principal): string => `/caldav/${encodeURIComponent(p.user)}/`;
/** The principal URL. */
export const principalHref = (p: Principal): string => userBase(p);
/** The calendar home URL. */
export const homeHref = (p: Principal): string => `${userBase(p)}calendars/`;
/** A calendar's URL. */
export const calendarHref = (p: Principal, cal: string): string => `${homeHref(p)}${encodeURIComponent(cal)}/`;
/** An event's URL. */
export const eventHref = (p: Principal, cal: string, name: string): string => `${calendarHref(p, cal)}${encodeURIComponent(name)}.ics`;

/** Resolve the segments after `caldav` for `principal` (403 for another user's tree, 404 for nonsense). */
export function resolveTarget(rest: string[], principal: Principal): Target {
  if (rest.length === 0) return { kind: 'root' };
  const who = rest[0]!.toLowerCase();
  const own = who.includes('@') ? who === principal.id.toLowerCase() : who === principal.user.toLowerCase();
  if (!own) throw new HttpError(403, 'Access to another user\'s calendars is not allowed');
  const userId = principal.id;
  if (rest.length === 1) return { kind: 'principal', userId };
  if (rest[1] !== 'calendars') throw new HttpError(404, 'Not found');
  if (rest.length === 2) return { kind: 'home', userId };
  const cal = checkCal(rest[2]!);
  if (rest.length === 3) return { kind: 'calendar', userId, cal };
  if (rest.length === 4) {
    const seg = rest[3]!;
    if (!seg.toLowerCase().endsWith('.ics') || seg.length <= 4) throw new HttpError(404, 'Calendar resources end in .ics');
    return { kind: 'event', userId, cal, name: checkName(seg.slice(0, -4)) };
  }
  throw new HttpError(404, 'Not found');
}

function checkCal(s: string): string {
  try {
    return checkResourceName(s, 'calendar');
  } catch {
    throw new HttpError(400, 'Invalid calendar name');
  }
}

function checkName(s: string): string {
  try {
    return checkResourceName(s, 'resource');
  } catch {
    throw new HttpError(400, 'Invalid resource name');
  }
}

/** Resolve an href from a REPORT body (absolute URL or path) to an event of `principal`, or null. */
export function hrefToEvent(href: string, principal: Principal): { cal: string; name: string } | null {
  let path = href.trim();
  try {
    if (/^https?:\/\//i.test(path)) path = new URL(path).pathname;
    const segs = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    if (segs[0] !== 'caldav') return null;
    const t = resolveTarget(segs.slice(1), principal);
    return t.kind === 'event' ? { cal: t.cal, name: t.name } : null;
  } catch {
    return null;
  }
}
