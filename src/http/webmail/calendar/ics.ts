/**
 * Building and editing VEVENTs from the webmail's event form (ical.js components, so
 * properties the form does not know — alarms, X- properties, overrides — survive an edit).
 * Times are UTC in the form (`date` + `time` fields), or whole days when `all_day` is set.
 */
import ICAL from 'ical.js';
import { HttpError } from '../../../common/errors.js';
import { parseCalendar, splitItems, addressOf } from '../../../common/icalendar/parse.js';

type Component = InstanceType<typeof ICAL.Component>;

/** The event form's fields. */
export interface EventForm {
  summary: string;
  location: string;
  description: string;
  date: string;
  /** Last day (multi-day events); equals `date` otherwise. */
  endDate?: string;
  start: string;
  end: string;
  allDay: boolean;
  /** '' | DAILY | WEEKLY | MONTHLY | YEARLY */
  repeat: string;
  count: string;
  /** A raw RRULE value (scripts), used when `repeat` is empty. */
  rrule?: string;
  attendees: string[];
}

const FREQS = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const ADDRESS = /^[^\s@<>(),;:"\\]+@[A-Za-z0-9.-]+$/;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d+)?)?Z?$/;
const validDate = (d: string): boolean => DATE.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`));

/**
 * Read and check the form fields. Besides the form's own fields (`summary`, `date`, `start`,
 * `end` as HH:MM, `all_day`, `repeat`, `count`), scripts may send `title`, `start`/`end` (or
 * `dtstart`/`dtend`) as `YYYY-MM-DDTHH:MM` or a bare date, and a raw `rrule`.
 */
export function parseEventForm(f: URLSearchParams): EventForm {
  const summary = (f.get('summary') ?? f.get('title') ?? '').trim();
  if (!summary) throw new HttpError(400, 'The event needs a title');
  let date = f.get('date') ?? '';
  let start = f.get('start') ?? f.get('dtstart') ?? '';
  let end = f.get('end') ?? f.get('dtend') ?? '';
  let allDay = ['on', '1', 'true'].includes(f.get('all_day') ?? f.get('allday') ?? '');
  const sm = DATETIME.exec(start);
  if (sm) {
    if (!date) date = sm[1]!;
    start = sm[2]!;
  } else if (DATE.test(start)) {
    if (!date) date = start;
    start = '';
    allDay = true;
  }
  let endDate = f.get('end_date') || date;
  const em = DATETIME.exec(end);
  if (em) {
    endDate = em[1]!;
    end = em[2]!;
  } else if (DATE.test(end)) {
    endDate = end;
    end = '';
  }
  if (!validDate(date)) throw new HttpError(400, 'date must be YYYY-MM-DD');
  if (!validDate(endDate) || endDate < date) throw new HttpError(400, 'The event cannot end before it starts');
  if (!start && !allDay) start = '09:00';
  for (const [n, v] of [['start', start], ['end', end]] as const) {
    if (v && !/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) throw new HttpError(400, `${n} must be HH:MM`);
  }
  const repeat = (f.get('repeat') ?? '').toUpperCase();
  if (repeat && !FREQS.includes(repeat)) throw new HttpError(400, 'repeat must be daily, weekly, monthly or yearly');
  const count = (f.get('count') ?? '').trim();
  if (count && !/^([1-9]\d{0,2})$/.test(count)) throw new HttpError(400, 'count must be 1-999');
  let rrule = '';
  if (!repeat && f.get('rrule')) {
    rrule = f.get('rrule')!.trim().replace(/^RRULE:/i, '');
    try {
      if (!ICAL.Recur.fromString(rrule).freq) throw new Error('no FREQ');
    } catch {
      throw new HttpError(400, 'rrule is not a valid RRULE');
    }
  }
  const attendees = (f.get('attendees') ?? '').split(/[,;\s]+/).map(addressOf).filter(Boolean);
  for (const a of attendees) if (!ADDRESS.test(a)) throw new HttpError(400, `"${a}" is not an email address`);
  if (attendees.length > 100) throw new HttpError(400, 'At most 100 attendees');
  const clip = (v: string | null, n: number) => (v ?? '').slice(0, n);
  return {
    summary: summary.slice(0, 500), location: clip(f.get('location'), 500), description: clip(f.get('description'), 20_000),
    date, endDate, start, end, allDay, repeat, count, rrule, attendees,
  };
}

function utcTime(date: string, hm: string): InstanceType<typeof ICAL.Time> {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = hm.split(':').map(Number) as [number, number];
  return ICAL.Time.fromData({ year: y, month: m, day: d, hour: h, minute: mi, second: 0, isDate: false }, ICAL.Timezone.utcTimezone);
}

function dayTime(date: string, plusDays = 0): InstanceType<typeof ICAL.Time> {
  const ms = Date.parse(`${date}T00:00:00Z`) + plusDays * 86_400_000;
  const d = new Date(ms);
  return ICAL.Time.fromData({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), isDate: true });
}

/** Write the form's fields onto a VEVENT. `me` becomes ORGANIZER when there are attendees. */
function apply(ev: Component, form: EventForm, me: string): void {
  const set = (name: string, value: unknown) => {
    if (value === '' || value === null || value === undefined) ev.removeAllProperties(name);
    else ev.updatePropertyWithValue(name, value);
  };
  set('summary', form.summary);
  set('location', form.location);
  set('description', form.description);
  ev.removeAllProperties('duration');
  const endDate = form.endDate ?? form.date;
  if (form.allDay) {
    set('dtstart', dayTime(form.date));
    set('dtend', dayTime(endDate, 1));
  } else {
    const start = utcTime(form.date, form.start);
    let end = form.end ? utcTime(endDate, form.end) : start.clone();
    if (end.compare(start) <= 0) {
      end = start.clone();
      end.addDuration(ICAL.Duration.fromSeconds(3600));
    }
    set('dtstart', start);
    set('dtend', end);
  }
  ev.removeAllProperties('rrule');
  if (form.repeat) ev.addPropertyWithValue('rrule', ICAL.Recur.fromString(`FREQ=${form.repeat}${form.count ? `;COUNT=${form.count}` : ''}`));
  else if (form.rrule) ev.addPropertyWithValue('rrule', ICAL.Recur.fromString(form.rrule));
  const old = new Map(ev.getAllProperties('attendee').map((p) => [addressOf(p.getFirstValue()), p]));
  ev.removeAllProperties('attendee');
  for (const a of form.attendees) {
    const prev = old.get(a);
    if (prev) { ev.addProperty(prev); continue; }
    const p = new ICAL.Property('attendee');
    p.setParameter('partstat', 'NEEDS-ACTION');
    p.setParameter('rsvp', 'TRUE');
    p.setValue(`mailto:${a}`);
    ev.addProperty(p);
  }
  if (form.attendees.length && !ev.hasProperty('organizer')) set('organizer', `mailto:${me}`);
  if (!form.attendees.length) ev.removeAllProperties('organizer');
  set('dtstamp', ICAL.Time.fromJSDate(new Date(), true));
  set('last-modified', ICAL.Time.fromJSDate(new Date(), true));
}

/** A new VCALENDAR text for the form. */
export function newEventText(form: EventForm, uid: string, me: string): string {
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.updatePropertyWithValue('prodid', '-//rmail//webmail//EN');
  cal.updatePropertyWithValue('version', '2.0');
  const ev = new ICAL.Component('vevent');
  ev.updatePropertyWithValue('uid', uid);
  ev.updatePropertyWithValue('sequence', 0);
  apply(ev, form, me);
  cal.addSubcomponent(ev);
  return cal.toString() + '\r\n';
}

/** The stored text with the master VEVENT changed by the form (SEQUENCE bumped). */
export function editEventText(text: string, form: EventForm, me: string): string {
  const cal = parseCalendar(text);
  const { master } = splitItems(cal);
  if (!master || master.name !== 'vevent') throw new HttpError(400, 'Only events can be edited here');
  apply(master, form, me);
  master.updatePropertyWithValue('sequence', Number(master.getFirstPropertyValue('sequence') ?? 0) + 1);
  return cal.toString() + '\r\n';
}

/** Set my PARTSTAT on every VEVENT of the resource; HttpError when I am not an attendee. */
export function respondText(text: string, me: string, partstat: string): string {
  const cal = parseCalendar(text);
  let found = false;
  for (const ev of cal.getAllSubcomponents('vevent')) {
    for (const p of ev.getAllProperties('attendee')) {
      if (addressOf(p.getFirstValue()) === me.toLowerCase()) {
        p.setParameter('partstat', partstat);
        p.removeParameter('rsvp');
        found = true;
      }
    }
  }
  if (!found) throw new HttpError(403, 'You are not an attendee of this event');
  return cal.toString() + '\r\n';
}

/** What the edit form and the detail page show of an event's master. */
export interface EventFields extends EventForm {
  organizer: string;
  partstats: { email: string; partstat: string }[];
}

/** Read the master VEVENT of a resource into form fields (UTC). */
export function eventFields(text: string): EventFields {
  const cal = parseCalendar(text);
  const { master } = splitItems(cal);
  const ev = master ?? cal.getFirstSubcomponent('vevent');
  if (!ev) throw new HttpError(404, 'No event in this resource');
  const s = ev.getFirstPropertyValue('dtstart') as InstanceType<typeof ICAL.Time> | null;
  const e = ev.getFirstPropertyValue('dtend') as InstanceType<typeof ICAL.Time> | null;
  const startJs = s ? s.toJSDate() : new Date();
  const endJs = e ? e.toJSDate() : startJs;
  const iso = (d: Date) => d.toISOString();
  const rr = ev.getFirstPropertyValue('rrule') as InstanceType<typeof ICAL.Recur> | null;
  const attendees = ev.getAllProperties('attendee').map((p) => ({
    email: addressOf(p.getFirstValue()),
    partstat: String(p.getParameter('partstat') ?? 'NEEDS-ACTION'),
  }));
  return {
    summary: String(ev.getFirstPropertyValue('summary') ?? ''), location: String(ev.getFirstPropertyValue('location') ?? ''),
    description: String(ev.getFirstPropertyValue('description') ?? ''),
    date: s?.isDate ? `${s.year}-${String(s.month).padStart(2, '0')}-${String(s.day).padStart(2, '0')}` : iso(startJs).slice(0, 10),
    start: s?.isDate ? '' : iso(startJs).slice(11, 16), end: s?.isDate ? '' : iso(endJs).slice(11, 16), allDay: !!s?.isDate,
    endDate: s?.isDate ? iso(new Date(Math.max(startJs.getTime(), endJs.getTime() - 86_400_000))).slice(0, 10) : iso(endJs).slice(0, 10),
    repeat: rr?.freq ?? '', count: rr?.count ? String(rr.count) : '', attendees: attendees.map((a) => a.email),
    organizer: addressOf(ev.getFirstPropertyValue('organizer')),
    partstats: attendees,
  };
}
