/**
 * Parsing iCalendar text with ical.js and picking its components apart (pure: no I/O, no state
 * beyond ical.js's timezone registry).
 */
import ICAL from 'ical.js';
import { ValidationError } from '../errors.js';

/** A parsed iCalendar component (VCALENDAR, VEVENT, ...). */
export type Component = InstanceType<typeof ICAL.Component>;
/** An iCalendar DATE or DATE-TIME value. */
export type Time = InstanceType<typeof ICAL.Time>;

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


/** The master component (without RECURRENCE-ID) and the overrides of a resource. */
export function splitItems(cal: Component): { master: Component | null; overrides: Component[] } {
  const items = itemsOf(cal);
  return {
    master: items.find((c) => !c.hasProperty('recurrence-id')) ?? null,
    overrides: items.filter((c) => c.hasProperty('recurrence-id')),
  };
}

/** True when a component recurs or is an override of a recurring one. */
export const isRecurringItem = (c: Component): boolean =>
  c.hasProperty('rrule') || c.hasProperty('rdate') || c.hasProperty('recurrence-id');

/** Mailto addresses of a property's values (ORGANIZER, ATTENDEE), lower-cased. */
export const mailto = (v: unknown): string | null =>
  typeof v === 'string' && /^mailto:/i.test(v) ? v.slice(7).trim().toLowerCase() : null;

/** The address of a calendar user value with or without its `mailto:` scheme, lower-cased (form input, display). */
export const addressOf = (v: unknown): string =>
  String(v ?? '').trim().replace(/^mailto:/i, '').trim().toLowerCase();
