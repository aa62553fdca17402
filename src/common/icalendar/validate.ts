/**
 * Validation of a CalDAV resource stored by PUT (RFC 4791 5.3.2.1) and what the index keeps
 * about it.
 */
import ICAL from 'ical.js';
import { ValidationError } from '../errors.js';
import { parseCalendar, itemsOf, isRecurringItem, type Component } from './parse.js';
import { rangeOf } from './instances.js';

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
