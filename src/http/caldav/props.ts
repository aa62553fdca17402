/**
 * Live properties of each CalDAV resource kind (RFC 4918 15, RFC 4791 5.2 and 6.2, RFC 6578,
 * RFC 6638 2.4, CalendarServer getctag, Apple calendar-color): a table from (ns, name) to the
 * property's inner XML. PROPFIND and REPORT pick from it; unknown names become a 404 propstat.
 */
import type { Principal } from '../../services/auth.js';
import type { CalendarStore, EventMeta } from '../../store/calendar.js';
import { SCHEDULE_INBOX } from '../../services/calendar.js';
import { NS_CALDAV, NS_CS, NS_DAV, NS_ICAL, esc, el, qname, response } from './xml.js';
import { calendarHref, eventHref, homeHref, principalHref } from './target.js';

/** Property producers: key `${ns}|${name}` -> inner XML. */
export type PropTable = Map<string, string>;

const key = (ns: string, name: string) => `${ns}|${name}`;
const href = (h: string) => `<D:href>${esc(h)}</D:href>`;

const PRIVS = ['all', 'read', 'write', 'write-properties', 'write-content', 'bind', 'unbind', 'read-current-user-privilege-set']
  .map((p) => `<D:privilege><D:${p}/></D:privilege>`).join('');

const REPORTS_CAL = [
  el(NS_CALDAV, 'calendar-multiget'), el(NS_CALDAV, 'calendar-query'), el(NS_DAV, 'sync-collection'), el(NS_CALDAV, 'free-busy-query'),
].map((r) => `<D:supported-report><D:report>${r}</D:report></D:supported-report>`).join('');

function common(p: Principal, t: PropTable, own: string): void {
  t.set(key(NS_DAV, 'current-user-principal'), href(principalHref(p)));
  t.set(key(NS_DAV, 'owner'), href(principalHref(p)));
  t.set(key(NS_DAV, 'current-user-privilege-set'), PRIVS);
  t.set(key(NS_DAV, 'principal-collection-set'), href('/caldav/'));
  t.set(key(NS_DAV, 'supported-report-set'), REPORTS_CAL);
  void own;
}

/** Properties of /caldav/ (the principal collection). */
export function rootProps(p: Principal): PropTable {
  const t: PropTable = new Map();
  common(p, t, '/caldav/');
  t.set(key(NS_DAV, 'resourcetype'), '<D:collection/>');
  t.set(key(NS_DAV, 'displayname'), 'CalDAV');
  return t;
}

/** Properties of a principal /caldav/{user}/. */
export function principalProps(p: Principal): PropTable {
  const t: PropTable = new Map();
  common(p, t, principalHref(p));
  t.set(key(NS_DAV, 'resourcetype'), '<D:collection/><D:principal/>');
  t.set(key(NS_DAV, 'displayname'), esc(p.id));
  t.set(key(NS_DAV, 'principal-URL'), href(principalHref(p)));
  t.set(key(NS_CALDAV, 'calendar-home-set'), href(homeHref(p)));
  t.set(key(NS_CALDAV, 'calendar-user-address-set'), href(`mailto:${p.id}`) + href(principalHref(p)));
  t.set(key(NS_CALDAV, 'calendar-user-type'), 'INDIVIDUAL');
  t.set(key(NS_CALDAV, 'schedule-inbox-URL'), href(calendarHref(p, SCHEDULE_INBOX)));
  t.set(key(NS_DAV, 'supported-report-set'), '');
  return t;
}

/** Properties of the calendar home /caldav/{user}/calendars/. */
export function homeProps(p: Principal): PropTable {
  const t: PropTable = new Map();
  common(p, t, homeHref(p));
  t.set(key(NS_DAV, 'resourcetype'), '<D:collection/>');
  t.set(key(NS_DAV, 'displayname'), 'Calendars');
  t.set(key(NS_DAV, 'supported-report-set'), '');
  return t;
}

/** Properties of a calendar collection. */
export function calendarProps(p: Principal, s: CalendarStore): PropTable {
  const t: PropTable = new Map();
  const pr = s.props;
  common(p, t, calendarHref(p, pr.name));
  t.set(key(NS_DAV, 'resourcetype'), '<D:collection/><C:calendar/>');
  t.set(key(NS_DAV, 'displayname'), esc(pr.displayname));
  t.set(key(NS_CALDAV, 'calendar-description'), esc(pr.description));
  t.set(key(NS_ICAL, 'calendar-color'), esc(pr.color));
  t.set(key(NS_CS, 'getctag'), String(s.index.ctag));
  t.set(key(NS_DAV, 'sync-token'), esc(s.index.sync_token));
  t.set(key(NS_DAV, 'getetag'), `"ctag-${s.index.ctag}"`);
  t.set(key(NS_CALDAV, 'supported-calendar-component-set'), pr.components.map((c) => `<C:comp name="${esc(c)}"/>`).join(''));
  t.set(key(NS_CALDAV, 'supported-calendar-data'), '<C:calendar-data content-type="text/calendar" version="2.0"/>');
  t.set(key(NS_CALDAV, 'max-resource-size'), String(4 * 1024 * 1024));
  t.set(key(NS_DAV, 'getcontenttype'), 'text/calendar; charset=utf-8');
  return t;
}

/** Properties of one event resource (calendar-data is added by the caller when asked). */
export function eventProps(p: Principal, cal: string, name: string, m: EventMeta): PropTable {
  const t: PropTable = new Map();
  common(p, t, eventHref(p, cal, name));
  t.set(key(NS_DAV, 'resourcetype'), '');
  t.set(key(NS_DAV, 'getetag'), `"${m.etag}"`);
  t.set(key(NS_DAV, 'getcontenttype'), `text/calendar; charset=utf-8; component=${m.component.toLowerCase()}`);
  t.set(key(NS_DAV, 'getcontentlength'), String(m.size));
  t.set(key(NS_DAV, 'getlastmodified'), new Date(m.modified).toUTCString());
  t.set(key(NS_DAV, 'supportedlock'),
    '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>');
  t.set(key(NS_DAV, 'supported-report-set'), '');
  return t;
}

/** The event properties whose value depends on the event's metadata (the rest are the same for every event). */
const META_PROPS: Record<string, (m: EventMeta) => string> = {
  [key(NS_DAV, 'getetag')]: (m) => `"${m.etag}"`,
  [key(NS_DAV, 'getcontenttype')]: (m) => `text/calendar; charset=utf-8; component=${m.component.toLowerCase()}`,
  [key(NS_DAV, 'getcontentlength')]: (m) => String(m.size),
  [key(NS_DAV, 'getlastmodified')]: (m) => new Date(m.modified).toUTCString(),
};

/** One event's D:response for `want`; `extra` adds values such as calendar-data or lockdiscovery. */
export function eventResponse(p: Principal, cal: string, name: string, m: EventMeta, want: PropRequest, extra: Record<string, string> = {}): string {
  const href = eventHref(p, cal, name);
  if (want.kind !== 'props') {
    const t = eventProps(p, cal, name, m);
    for (const [k, v] of Object.entries(extra)) t.set(k, v);
    const { found, missing } = pick(t, want);
    return response(href, found, missing);
  }
  let table: PropTable | null = null;
  const found: { ns: string; name: string; inner: string }[] = [];
  const missing: { ns: string; name: string }[] = [];
  for (const q of want.props) {
    const k = key(q.ns, q.name);
    let v: string | undefined = extra[k] ?? META_PROPS[k]?.(m);
    if (v === undefined) {
      table ??= eventProps(p, cal, name, m);
      v = table.get(k);
    }
    if (v === undefined) missing.push(q);
    else found.push({ ...q, inner: v });
  }
  return response(href, found, missing);
}

/**
 * A function answering `want` for many events of one calendar (PROPFIND Depth 1,
 * sync-collection, REPORTs over thousands of events): what each asked property is, its tags
 * and the constant values are worked out once, then each event costs one string build. Same
 * output as eventResponse.
 */
export function eventResponder(p: Principal, cal: string, want: PropRequest): (name: string, m: EventMeta, extra?: Record<string, string>) => string {
  if (want.kind !== 'props') return (name, m, extra) => eventResponse(p, cal, name, m, want, extra);
  const base = `<D:response><D:href>${esc(calendarHref(p, cal))}`;
  const fixed = eventProps(p, cal, '', { uid: '', etag: '', size: 0, seq: 0, modified: new Date(0).toISOString(), component: 'VEVENT', start: null, end: null, recurring: false });
  const plan = want.props.map((q) => {
    const k = key(q.ns, q.name);
    const t = qname(q.ns, q.name);
    return { k, open: `<${t.open}>`, close: `</${t.close}>`, empty: `<${t.open}/>`, dyn: META_PROPS[k], value: META_PROPS[k] ? undefined : fixed.get(k) };
  });
  return (name, m, extra) => {
    let found = '';
    let missing = '';
    for (const e of plan) {
      const v = extra?.[e.k] ?? (e.dyn ? e.dyn(m) : e.value);
      if (v === undefined) missing += e.empty;
      else found += v === '' ? e.empty : e.open + v + e.close;
    }
    // encodeURIComponent leaves none of & < > " in the name: no escaping needed
    let out = `${base}${encodeURIComponent(name)}.ics</D:href>`;
    if (found !== '') out += `<D:propstat><D:prop>${found}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`;
    if (missing !== '') out += `<D:propstat><D:prop>${missing}</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`;
    return out + '</D:response>';
  };
}

/** What a PROPFIND/REPORT asked for: all (allprop), names only, or a list. */
export type PropRequest = { kind: 'all' } | { kind: 'names' } | { kind: 'props'; props: { ns: string; name: string }[] };

/** Properties never included in allprop (expensive or large). */
const NOT_IN_ALLPROP = new Set([key(NS_CALDAV, 'calendar-data'), key(NS_DAV, 'current-user-privilege-set'), key(NS_DAV, 'supported-report-set')]);

/** Split a table by the request: found (with values) and missing names. */
export function pick(t: PropTable, req: PropRequest): { found: { ns: string; name: string; inner: string }[]; missing: { ns: string; name: string }[] } {
  const split = (k: string) => {
    const i = k.lastIndexOf('|');
    return { ns: k.slice(0, i), name: k.slice(i + 1) };
  };
  if (req.kind === 'all') {
    return { found: [...t].filter(([k]) => !NOT_IN_ALLPROP.has(k)).map(([k, v]) => ({ ...split(k), inner: v })), missing: [] };
  }
  if (req.kind === 'names') return { found: [...t.keys()].map((k) => ({ ...split(k), inner: '' })), missing: [] };
  const found = [];
  const missing = [];
  for (const p of req.props) {
    const v = t.get(key(p.ns, p.name));
    if (v === undefined) missing.push(p);
    else found.push({ ...p, inner: v });
  }
  return { found, missing };
}

/** The table key of a property (exported for callers that add values). */
export const propKey = key;
