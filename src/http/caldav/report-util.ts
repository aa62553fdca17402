/** Shared by the REPORT handlers: what properties were asked, and one event's response. */
import type { Principal } from '../../services/auth.js';
import type { EventMeta } from '../../store/calendar.js';
import { NS_CALDAV, NS_DAV, child, esc, type XNode } from './xml.js';
import { eventResponder, eventResponse, propKey, type PropRequest } from './props.js';
import { propRequestOf } from './propfind.js';

/** The PropRequest of a REPORT body (getetag only when no D:prop is given). */
export function reportProps(root: XNode): PropRequest {
  if (!child(root, NS_DAV, 'prop') && !child(root, NS_DAV, 'allprop') && !child(root, NS_DAV, 'propname')) {
    return { kind: 'props', props: [{ ns: NS_DAV, name: 'getetag' }] };
  }
  return propRequestOf(root);
}

/** True when the request asks for calendar-data. */
export const wantsData = (want: PropRequest): boolean =>
  want.kind === 'props' && want.props.some((x) => x.ns === NS_CALDAV && x.name === 'calendar-data');

/** One event's D:response with the asked properties (calendar-data from `data`). */
export function eventEntry(p: Principal, cal: string, name: string, meta: EventMeta, want: PropRequest, data?: string): string {
  return eventResponse(p, cal, name, meta, want, data !== undefined ? { [propKey(NS_CALDAV, 'calendar-data')]: esc(data) } : {});
}

/** eventEntry for many events of one calendar (the asked properties are planned once). */
export function eventEntries(p: Principal, cal: string, want: PropRequest): (name: string, meta: EventMeta, data?: string) => string {
  const one = eventResponder(p, cal, want);
  const dataKey = propKey(NS_CALDAV, 'calendar-data');
  return (name, meta, data) => one(name, meta, data !== undefined ? { [dataKey]: esc(data) } : undefined);
}
