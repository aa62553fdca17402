/**
 * PROPFIND (RFC 4918 9.1) on the root, a principal, the calendar home, a calendar or an event,
 * Depth 0 / 1 / infinity. Unknown properties come back in a 404 propstat.
 */
import { HttpError } from '../../common/errors.js';
import type { HttpRequest } from '../types.js';
import type { Principal } from '../../services/auth.js';
import type { CaldavCtx, MethodHandler } from './context.js';
import { depthOf, multistatus } from './context.js';
import { NS_CALDAV, NS_DAV, XML_LIMIT, child, document, esc, parseXml, response } from './xml.js';
import { calendarProps, eventResponder, homeProps, pick, principalProps, propKey, rootProps, type PropRequest, type PropTable } from './props.js';
import type { CalendarStore, EventMeta } from '../../store/calendar.js';
import { calendarHref, eventHref, homeHref, principalHref } from './target.js';
import { lockDiscovery } from './lock.js';

/** Read the PROPFIND body: allprop when empty. */
export async function readPropRequest(req: HttpRequest): Promise<PropRequest> {
  const body = await req.body(XML_LIMIT);
  if (body.length === 0 || body.toString('utf8').trim() === '') return { kind: 'all' };
  const root = parseXml(body);
  if (root.ns !== NS_DAV || root.name !== 'propfind') throw new HttpError(400, 'Expected DAV:propfind');
  return propRequestOf(root);
}

/** The PropRequest of an element holding D:prop / D:allprop / D:propname. */
export function propRequestOf(root: ReturnType<typeof parseXml>): PropRequest {
  if (child(root, NS_DAV, 'propname')) return { kind: 'names' };
  const prop = child(root, NS_DAV, 'prop');
  if (prop) return { kind: 'props', props: prop.children.map((c) => ({ ns: c.ns, name: c.name })) };
  return { kind: 'all' };
}

/** The responses of events of one calendar for `want` (lockdiscovery and calendar-data looked up only when asked). */
function eventEntriesOf(ctx: CaldavCtx, p: Principal, store: CalendarStore, want: PropRequest): (name: string, meta: EventMeta) => string | Promise<string> {
  const cal = store.props.name;
  const one = eventResponder(p, cal, want);
  const asks = (ns: string, name: string) => want.kind !== 'props' || want.props.some((x) => x.ns === ns && x.name === name);
  const lockKey = propKey(NS_DAV, 'lockdiscovery');
  const dataKey = propKey(NS_CALDAV, 'calendar-data');
  const locks = asks(NS_DAV, 'lockdiscovery');
  const data = want.kind === 'props' && asks(NS_CALDAV, 'calendar-data');
  if (!locks && !data) return (name, meta) => one(name, meta);
  return async (name, meta) => {
    const extra: Record<string, string> = {};
    if (locks) {
      const href = eventHref(p, cal, name);
      const lock = ctx.locks.get(href);
      extra[lockKey] = lock ? lockDiscovery(lock, href) : '';
    }
    if (data) {
      const text = await ctx.calendars.text(store, name);
      if (text !== undefined) extra[dataKey] = esc(text);
    }
    return one(name, meta, extra);
  };
}

function one(href: string, t: PropTable, want: PropRequest): string {
  const { found, missing } = pick(t, want);
  return response(href, found, missing);
}

/** PROPFIND handler. */
export const propfind: MethodHandler = async (ctx, req, target, p) => {
  const want = await readPropRequest(req);
  const depth = depthOf(req, 'infinity');
  const out: string[] = [];
  const calendars = ctx.calendars;
  const addCalendar = async (cal: string, deep: boolean) => {
    const s = await calendars.require(p.id, cal);
    out.push(one(calendarHref(p, cal), calendarProps(p, s), want));
    if (!deep) return;
    const entry = eventEntriesOf(ctx, p, s, want);
    for (const [name, meta] of Object.entries(s.index.events)) {
      const r = entry(name, meta);
      out.push(typeof r === 'string' ? r : await r);
    }
  };
  const addHome = async (levels: number) => {
    out.push(one(homeHref(p), homeProps(p), want));
    if (levels < 1) return;
    for (const cal of await calendars.names(p.id)) await addCalendar(cal, levels > 1);
  };
  const levels = depth === '0' ? 0 : depth === '1' ? 1 : 9;
  switch (target.kind) {
    case 'root':
      out.push(one('/caldav/', rootProps(p), want));
      if (levels >= 1) out.push(one(principalHref(p), principalProps(p), want));
      break;
    case 'principal':
      out.push(one(principalHref(p), principalProps(p), want));
      if (levels >= 1) await addHome(levels - 1);
      break;
    case 'home':
      await addHome(levels);
      break;
    case 'calendar':
      await addCalendar(target.cal, levels >= 1);
      break;
    case 'event': {
      const s = await calendars.require(p.id, target.cal);
      const meta = s.index.events[target.name];
      if (!meta) throw new HttpError(404, 'Not found');
      out.push(await eventEntriesOf(ctx, p, s, want)(target.name, meta));
      break;
    }
  }
  return multistatus(document(NS_DAV, 'multistatus', out.join('')));
};
