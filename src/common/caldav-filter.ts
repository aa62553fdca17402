/**
 * CALDAV:filter evaluation (RFC 4791 9.7): comp-filter, prop-filter, param-filter, text-match
 * (i;ascii-casemap, i;octet, i;unicode-casemap; negate-condition) and time-range, with
 * recurring components matched by any expanded instance. Pure: plain data in, boolean out.
 */
import ICAL from 'ical.js';
import { instancesIn } from './icalendar/instances.js';
import { timeToMs } from './icalendar/time.js';

type Component = InstanceType<typeof ICAL.Component>;
type Property = InstanceType<typeof ICAL.Property>;

/** A time range in UTC ms; open ends are +-Infinity (JSON: null). */
export interface TimeRange {
  start: number | null;
  end: number | null;
}

/** A text-match element. */
export interface TextMatch {
  text: string;
  collation: string;
  negate: boolean;
}

/** A param-filter element. */
export interface ParamFilter {
  name: string;
  isNotDefined: boolean;
  textMatch?: TextMatch;
}

/** A prop-filter element. */
export interface PropFilter {
  name: string;
  isNotDefined: boolean;
  timeRange?: TimeRange;
  textMatch?: TextMatch;
  params: ParamFilter[];
}

/** A comp-filter element (the root one names VCALENDAR). */
export interface CompFilter {
  name: string;
  isNotDefined: boolean;
  timeRange?: TimeRange;
  props: PropFilter[];
  comps: CompFilter[];
}

const lo = (r: TimeRange) => r.start ?? -8.64e15;
const hi = (r: TimeRange) => r.end ?? 8.64e15;

/** True when the calendar object matches the root comp-filter. */
export function matchFilter(cal: Component, f: CompFilter): boolean {
  if (f.name.toLowerCase() !== 'vcalendar') return false;
  if (f.isNotDefined) return false;
  return matchBody(cal, f, [cal]);
}

function matchBody(root: Component, f: CompFilter, comps: Component[]): boolean {
  return comps.some((c) => f.props.every((p) => matchProp(c, p)) && f.comps.every((cf) => matchComp(root, c, cf)));
}

function matchComp(root: Component, parent: Component, f: CompFilter): boolean {
  const name = f.name.toLowerCase();
  const subs = parent.getAllSubcomponents(name);
  if (f.isNotDefined) return subs.length === 0;
  if (subs.length === 0) return false;
  let cands = subs;
  if (f.timeRange) {
    if (name === 'vevent' || name === 'vtodo' || name === 'vjournal') {
      const inst = instancesIn(parent === root ? root : parent, lo(f.timeRange), hi(f.timeRange))
        .filter((i) => i.item.name === name);
      // a VTODO without any date matches every range (RFC 4791 9.9)
      const undated = name === 'vtodo' ? subs.filter((c) => !c.hasProperty('dtstart') && !c.hasProperty('due')) : [];
      cands = [...new Set([...inst.map((i) => i.item), ...undated])];
    } else if (name === 'valarm') {
      cands = subs; // alarms are matched by existence; trigger ranges are not narrowed
    } else if (name === 'vfreebusy' || name === 'vavailability') {
      cands = subs;
    }
  }
  return cands.length > 0 && matchBody(root, f, cands);
}

function matchProp(c: Component, f: PropFilter): boolean {
  const props = c.getAllProperties(f.name.toLowerCase());
  if (f.isNotDefined) return props.length === 0;
  return props.some((p) => {
    if (f.timeRange && !propInRange(p, f.timeRange)) return false;
    if (f.textMatch && !textMatches(propText(p), f.textMatch)) return false;
    return f.params.every((pf) => matchParam(p, pf));
  });
}

function matchParam(p: Property, f: ParamFilter): boolean {
  const v = p.getParameter(f.name.toLowerCase());
  if (f.isNotDefined) return v === undefined || v === null;
  if (v === undefined || v === null) return false;
  if (!f.textMatch) return true;
  const vals = Array.isArray(v) ? v : [String(v)];
  return vals.some((x) => textMatches(String(x), f.textMatch!));
}

function propText(p: Property): string {
  return p.getValues().map((v) => (typeof v === 'string' ? v : String(v?.toString?.() ?? v))).join(',');
}

function propInRange(p: Property, r: TimeRange): boolean {
  const v = p.getFirstValue();
  if (!(v instanceof ICAL.Time)) return false;
  const tz = p.getParameter('tzid');
  const ms = timeToMs(v, typeof tz === 'string' ? tz : null);
  return ms >= lo(r) && ms < hi(r);
}

/** Substring match under the collation; negate flips the result. */
export function textMatches(value: string, m: TextMatch): boolean {
  const ok = m.collation === 'i;octet' ? value.includes(m.text) : value.toLowerCase().includes(m.text.toLowerCase());
  return m.negate ? !ok : ok;
}
