/**
 * The occurrences a calendar view shows: for each visible calendar, the events whose indexed
 * range overlaps the view's range are read and expanded (common/icalendar `instancesIn`:
 * RRULE, EXDATE and RECURRENCE-ID overrides), cheaply, since the index prunes by range.
 */
import type { Services } from '../../../services/index.js';
import { parseCalendar } from '../../../common/icalendar/parse.js';
import { instancesIn } from '../../../common/icalendar/instances.js';
import type { CalItem } from '../views/calendar-grid.js';

/** One occurrence as the views draw it. */
export interface Occurrence extends CalItem {
  recurring: boolean;
}

/** A calendar row for the sidebar. */
export interface CalendarRow {
  name: string;
  displayname: string;
  color: string;
  visible: boolean;
}

/** The user's calendars with their visibility (preferences `calendar_visible.{name}`, default true). */
export async function calendarRows(services: Services, userId: string): Promise<CalendarRow[]> {
  const [names, prefs] = await Promise.all([services.calendar.names(userId), services.preferences.get(userId)]);
  const rows: CalendarRow[] = [];
  for (const name of names) {
    const store = await services.calendar.get(userId, name);
    if (!store) continue;
    rows.push({
      name, displayname: store.props.displayname || name, color: store.props.color || '#0b57d0',
      visible: prefs[`calendar_visible.${name}`] !== false,
    });
  }
  return rows;
}

/** Occurrences of the visible calendars overlapping [start, end), sorted by start. */
export async function occurrences(services: Services, userId: string, rows: CalendarRow[], start: number, end: number): Promise<Occurrence[]> {
  const out: Occurrence[] = [];
  for (const row of rows.filter((r) => r.visible)) {
    const store = await services.calendar.get(userId, row.name);
    if (!store) continue;
    for (const [name, meta] of Object.entries(store.index.events)) {
      if (meta.component !== 'VEVENT') continue;
      if (meta.start !== null && meta.start >= end) continue;
      if (meta.end !== null && meta.end < start) continue;
      const ev = await services.calendar.read(userId, row.name, name);
      if (!ev) continue;
      let instances;
      try {
        instances = instancesIn(parseCalendar(ev.text), start, end);
      } catch {
        continue;
      }
      for (const i of instances) {
        out.push({
          calendar: row.name, uid: meta.uid, summary: String(i.item.getFirstPropertyValue('summary') ?? ''),
          location: String(i.item.getFirstPropertyValue('location') ?? ''), start: i.start, end: i.end, allDay: i.allDay,
          recurring: meta.recurring, color: row.color,
        });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start || a.summary.localeCompare(b.summary));
}
