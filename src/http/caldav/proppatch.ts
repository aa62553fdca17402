/**
 * PROPPATCH (RFC 4918 9.2) on a calendar: set/remove D:displayname, I:calendar-color,
 * C:calendar-description, atomically; a multistatus with per-property status (200, or 403 for
 * a protected/unknown property and 424 for the others then left unchanged).
 */
import { HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { multistatus } from './context.js';
import { NS_CALDAV, NS_DAV, NS_ICAL, XML_LIMIT, child, document, esc, parseXml, propstat } from './xml.js';
import { calendarHref, homeHref, principalHref } from './target.js';
import { readSettings, type CalendarSettings } from './mkcalendar.js';

/** PROPPATCH handler. */
export const proppatch: MethodHandler = async (ctx, req, target, p) => {
  const root = parseXml(await req.body(XML_LIMIT));
  if (root.ns !== NS_DAV || root.name !== 'propertyupdate') throw new HttpError(400, 'Expected DAV:propertyupdate');
  const patch: CalendarSettings = {};
  const ok: { ns: string; name: string }[] = [];
  const bad: { ns: string; name: string }[] = [];
  for (const op of root.children) {
    if (op.ns !== NS_DAV || (op.name !== 'set' && op.name !== 'remove')) continue;
    const prop = child(op, NS_DAV, 'prop');
    for (const c of prop?.children ?? []) {
      const settable = (c.ns === NS_DAV && c.name === 'displayname') || (c.ns === NS_ICAL && c.name === 'calendar-color')
        || (c.ns === NS_CALDAV && c.name === 'calendar-description');
      if (!settable || target.kind !== 'calendar') { bad.push({ ns: c.ns, name: c.name }); continue; }
      ok.push({ ns: c.ns, name: c.name });
    }
    if (op.name === 'set') Object.assign(patch, readSettings({ ...prop!, children: (prop?.children ?? []).filter((c) => ok.some((o) => o.ns === c.ns && o.name === c.name)) }).settings);
    else {
      for (const c of prop?.children ?? []) {
        if (c.ns === NS_DAV && c.name === 'displayname') patch.displayname = '';
        if (c.ns === NS_ICAL && c.name === 'calendar-color') patch.color = '';
        if (c.ns === NS_CALDAV && c.name === 'calendar-description') patch.description = '';
      }
    }
  }
  const href = target.kind === 'calendar' ? calendarHref(p, target.cal) : target.kind === 'home' ? homeHref(p) : principalHref(p);
  if (target.kind === 'event') throw new HttpError(403, 'Event resources have no writable properties');
  let inner: string;
  if (bad.length > 0) inner = propstat(bad, 403) + (ok.length ? propstat(ok, 424) : '');
  else {
    if (target.kind === 'calendar') {
      const { components: _c, ...rest } = patch;
      await ctx.calendars.setProps(p.id, target.cal, rest);
    }
    inner = propstat(ok, 200);
  }
  return multistatus(document(NS_DAV, 'multistatus', `<D:response><D:href>${esc(href)}</D:href>${inner}</D:response>`));
};
