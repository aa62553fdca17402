/**
 * iTIP messages (RFC 5546) built from and applied to stored calendar resources: REQUEST,
 * REPLY and CANCEL for iMIP (RFC 6047). Pure functions on iCalendar text.
 */
import ICAL from 'ical.js';
import { itemsOf, mailto, parseCalendar } from './icalendar/parse.js';

type Component = InstanceType<typeof ICAL.Component>;

/** One ATTENDEE of a component. */
export interface Attendee {
  email: string;
  partstat: string;
  cn: string;
}

/** What scheduling needs to know about a resource. */
export interface ItipInfo {
  method: string;
  uid: string;
  summary: string;
  organizer: string | null;
  attendees: Attendee[];
  sequence: number;
  /** A digest of the scheduling-relevant fields (a change means a new REQUEST). */
  signature: string;
}

const attendeesOf = (c: Component): Attendee[] =>
  c.getAllProperties('attendee').flatMap((p) => {
    const email = mailto(p.getFirstValue());
    if (!email) return [];
    return [{ email, partstat: String(p.getParameter('partstat') ?? 'NEEDS-ACTION').toUpperCase(), cn: String(p.getParameter('cn') ?? '') }];
  });

/** Scheduling facts of an iCalendar text (master component first). */
export function itipInfo(text: string): ItipInfo | null {
  const cal = parseCalendar(text);
  const items = itemsOf(cal);
  const master = items.find((c) => !c.hasProperty('recurrence-id')) ?? items[0];
  if (!master) return null;
  const sig = items.map((c) => ['dtstart', 'dtend', 'duration', 'rrule', 'rdate', 'exdate', 'summary', 'location', 'recurrence-id', 'status']
    .map((n) => c.getAllProperties(n).map((p) => p.toICALString()).join('|')).join('#')
    + attendeesOf(c).map((a) => a.email).sort().join(',')).join('\n');
  return {
    method: String(cal.getFirstPropertyValue('method') ?? '').toUpperCase(),
    uid: String(master.getFirstPropertyValue('uid') ?? ''),
    summary: String(master.getFirstPropertyValue('summary') ?? ''),
    organizer: mailto(master.getFirstPropertyValue('organizer')),
    attendees: attendeesOf(master),
    sequence: Number(master.getFirstPropertyValue('sequence') ?? 0) || 0,
    signature: sig,
  };
}

/** The iTIP form of a stored resource: METHOD added; CANCEL marks STATUS:CANCELLED. */
export function toItip(text: string, method: 'REQUEST' | 'CANCEL'): string {
  const cal = parseCalendar(text);
  cal.removeAllProperties('method');
  cal.addPropertyWithValue('method', method);
  if (method === 'CANCEL') {
    for (const c of itemsOf(cal)) {
      c.updatePropertyWithValue('status', 'CANCELLED');
      c.updatePropertyWithValue('sequence', (Number(c.getFirstPropertyValue('sequence') ?? 0) || 0) + 1);
    }
  }
  return cal.toString() + '\r\n';
}

/** A METHOD:REPLY from attendee `email` carrying their PARTSTAT (only their ATTENDEE kept). */
export function toReply(text: string, email: string): string {
  const cal = parseCalendar(text);
  cal.removeAllProperties('method');
  cal.addPropertyWithValue('method', 'REPLY');
  for (const c of itemsOf(cal)) {
    for (const p of c.getAllProperties('attendee')) if (mailto(p.getFirstValue()) !== email) c.removeProperty(p);
    for (const n of ['valarm']) for (const s of c.getAllSubcomponents(n)) c.removeSubcomponent(s);
  }
  return cal.toString() + '\r\n';
}

/** Strip METHOD so an iTIP object can be stored as a CalDAV resource. */
export function toResource(text: string, opts: { cancelled?: boolean } = {}): string {
  const cal = parseCalendar(text);
  cal.removeAllProperties('method');
  if (opts.cancelled) for (const c of itemsOf(cal)) c.updatePropertyWithValue('status', 'CANCELLED');
  return cal.toString() + '\r\n';
}

/** Mark a stored resource cancelled (CANCEL received). */
export const markCancelled = (text: string): string => toResource(text, { cancelled: true });

/**
 * Apply a REPLY to the organizer's stored copy: the replying attendee's PARTSTAT (per
 * RECURRENCE-ID when the reply names one). Returns the new text, or null when nothing changed.
 */
export function applyReply(stored: string, reply: string): string | null {
  const cal = parseCalendar(stored);
  const r = parseCalendar(reply);
  let changed = false;
  for (const rc of itemsOf(r)) {
    const rid = rc.getFirstProperty('recurrence-id')?.toICALString().split(':')[1] ?? null;
    for (const ra of attendeesOf(rc)) {
      for (const c of itemsOf(cal)) {
        const crid = c.getFirstProperty('recurrence-id')?.toICALString().split(':')[1] ?? null;
        if (rid !== crid && !(rid === null)) continue;
        for (const p of c.getAllProperties('attendee')) {
          if (mailto(p.getFirstValue()) !== ra.email) continue;
          if (String(p.getParameter('partstat') ?? '').toUpperCase() === ra.partstat) continue;
          p.setParameter('partstat', ra.partstat);
          p.removeParameter('rsvp');
          changed = true;
        }
      }
    }
  }
  return changed ? cal.toString() + '\r\n' : null;
}
