/**
 * MKCALENDAR (RFC 4791 5.3.1) at /caldav/{user}/calendars/{cal}/: optional body sets
 * D:displayname, I:calendar-color, C:calendar-description, C:supported-calendar-component-set.
 * An existing resource is 405.
 */
import { ConflictError, HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { DAV_HEADER } from './context.js';
import { NS_CALDAV, NS_DAV, NS_ICAL, XML_LIMIT, child, childrenOf, parseXml, type XNode } from './xml.js';
import { calendarHref } from './target.js';

/** Settable calendar properties read from a D:prop element. */
export interface CalendarSettings {
  displayname?: string;
  color?: string;
  description?: string;
  components?: string[];
}

const COMPONENTS = new Set(['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY']);

/** Read the settable properties of a D:prop (unknown ones are returned by name). */
export function readSettings(prop: XNode | undefined): { settings: CalendarSettings; unknown: { ns: string; name: string }[] } {
  const settings: CalendarSettings = {};
  const unknown: { ns: string; name: string }[] = [];
  for (const c of prop?.children ?? []) {
    if (c.ns === NS_DAV && c.name === 'displayname') settings.displayname = clip(c.text);
    else if (c.ns === NS_ICAL && c.name === 'calendar-color') settings.color = clip(c.text);
    else if (c.ns === NS_CALDAV && c.name === 'calendar-description') settings.description = clip(c.text, 4096);
    else if (c.ns === NS_CALDAV && c.name === 'supported-calendar-component-set') {
      const comps = childrenOf(c, NS_CALDAV, 'comp').map((x) => (x.attrs['name'] ?? '').toUpperCase());
      if (comps.length === 0 || comps.some((x) => !COMPONENTS.has(x))) throw new HttpError(400, 'Invalid supported-calendar-component-set');
      settings.components = comps;
    } else unknown.push({ ns: c.ns, name: c.name });
  }
  return { settings, unknown };
}

const clip = (s: string, max = 512): string => {
  const t = s.trim();
  if (t.length > max) throw new HttpError(400, 'Property value too long');
  return t;
};

/** MKCALENDAR handler. */
export const mkcalendar: MethodHandler = async (ctx, req, target, p) => {
  if (target.kind !== 'calendar') throw new HttpError(403, 'Calendars are created under /caldav/{user}/calendars/');
  const body = await req.body(XML_LIMIT);
  let settings: CalendarSettings = {};
  if (body.toString('utf8').trim() !== '') {
    const root = parseXml(body);
    if (root.ns !== NS_CALDAV || root.name !== 'mkcalendar') throw new HttpError(400, 'Expected CALDAV:mkcalendar');
    settings = readSettings(child(child(root, NS_DAV, 'set'), NS_DAV, 'prop')).settings;
  }
  try {
    await ctx.calendars.create(p.id, target.cal, settings);
  } catch (err) {
    if (err instanceof ConflictError) throw new HttpError(405, 'A calendar with this name already exists', { allow: 'OPTIONS, PROPFIND, PROPPATCH, REPORT, DELETE' });
    throw err;
  }
  return { status: 201, headers: { location: calendarHref(p, target.cal), dav: DAV_HEADER } };
};
