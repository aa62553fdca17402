/** Split an imported iCalendar text into one resource per UID (timezones copied along). */
import ICAL from 'ical.js';
import { parseCalendar } from '../../../common/icalendar/parse.js';
import { HttpError } from '../../../common/errors.js';

const MAX_RESOURCES = 2000;

/** The resources of an import: [uid, text] pairs. */
export function splitImport(text: string): [string, string][] {
  const cal = parseCalendar(text);
  const zones = cal.getAllSubcomponents('vtimezone');
  const byUid = new Map<string, InstanceType<typeof ICAL.Component>[]>();
  for (const kind of ['vevent', 'vtodo', 'vjournal']) {
    for (const c of cal.getAllSubcomponents(kind)) {
      const uid = String(c.getFirstPropertyValue('uid') ?? '');
      if (!uid) throw new HttpError(400, `A ${kind.toUpperCase()} without UID cannot be imported`);
      byUid.set(uid, [...(byUid.get(uid) ?? []), c]);
    }
  }
  if (byUid.size === 0) throw new HttpError(400, 'No events in this iCalendar data');
  if (byUid.size > MAX_RESOURCES) throw new HttpError(413, `At most ${MAX_RESOURCES} events per import`);
  const out: [string, string][] = [];
  for (const [uid, comps] of byUid) {
    const one = new ICAL.Component(['vcalendar', [], []]);
    one.updatePropertyWithValue('prodid', '-//rmail//webmail import//EN');
    one.updatePropertyWithValue('version', '2.0');
    for (const z of zones) one.addSubcomponent(new ICAL.Component(JSON.parse(JSON.stringify(z.toJSON()))));
    for (const c of comps) one.addSubcomponent(new ICAL.Component(JSON.parse(JSON.stringify(c.toJSON()))));
    out.push([uid, one.toString() + '\r\n']);
  }
  return out;
}
