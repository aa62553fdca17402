/** Parse CALDAV:filter and the calendar-data element of a REPORT body (RFC 4791 9.6, 9.7) into plain data. */
import { HttpError } from '../../common/errors.js';
import { ValidationError } from '../../common/errors.js';
import { parseUtc } from '../../common/icalendar/time.js';
import type { CompFilter, ParamFilter, PropFilter, TextMatch, TimeRange } from '../../common/caldav-filter.js';
import { NS_CALDAV, child, childrenOf, type XNode } from './xml.js';

const COLLATIONS = new Set(['i;ascii-casemap', 'i;octet', 'i;unicode-casemap']);

function utc(v: string | undefined): number | null {
  if (v === undefined) return null;
  try {
    return parseUtc(v);
  } catch (err) {
    throw new HttpError(400, (err as ValidationError).message);
  }
}

/** A C:time-range element (at least one of start/end; start < end). */
export function timeRangeOf(n: XNode | undefined): TimeRange | undefined {
  if (!n) return undefined;
  const start = utc(n.attrs['start']);
  const end = utc(n.attrs['end']);
  if (start === null && end === null) throw new HttpError(400, 'time-range needs start or end');
  if (start !== null && end !== null && end <= start) throw new HttpError(400, 'time-range end must be after start');
  return { start, end };
}

function textMatchOf(n: XNode | undefined): TextMatch | undefined {
  if (!n) return undefined;
  const collation = n.attrs['collation'] ?? 'i;ascii-casemap';
  if (!COLLATIONS.has(collation)) throw new HttpError(403, 'supported-collation');
  return { text: n.text, collation, negate: n.attrs['negate-condition'] === 'yes' };
}

function paramFilterOf(n: XNode): ParamFilter {
  const name = n.attrs['name'];
  if (!name) throw new HttpError(400, 'param-filter needs a name');
  return { name, isNotDefined: !!child(n, NS_CALDAV, 'is-not-defined'), textMatch: textMatchOf(child(n, NS_CALDAV, 'text-match')) };
}

function propFilterOf(n: XNode): PropFilter {
  const name = n.attrs['name'];
  if (!name) throw new HttpError(400, 'prop-filter needs a name');
  return {
    name,
    isNotDefined: !!child(n, NS_CALDAV, 'is-not-defined'),
    timeRange: timeRangeOf(child(n, NS_CALDAV, 'time-range')),
    textMatch: textMatchOf(child(n, NS_CALDAV, 'text-match')),
    params: childrenOf(n, NS_CALDAV, 'param-filter').map(paramFilterOf),
  };
}

function compFilterOf(n: XNode, depth: number): CompFilter {
  if (depth > 8) throw new HttpError(400, 'Filter nested too deeply');
  const name = n.attrs['name'];
  if (!name) throw new HttpError(400, 'comp-filter needs a name');
  return {
    name,
    isNotDefined: !!child(n, NS_CALDAV, 'is-not-defined'),
    timeRange: timeRangeOf(child(n, NS_CALDAV, 'time-range')),
    props: childrenOf(n, NS_CALDAV, 'prop-filter').map(propFilterOf),
    comps: childrenOf(n, NS_CALDAV, 'comp-filter').map((c) => compFilterOf(c, depth + 1)),
  };
}

/** The C:filter of a calendar-query (400 unless its root comp-filter is VCALENDAR). */
export function filterOf(n: XNode | undefined): CompFilter {
  const root = child(n, NS_CALDAV, 'comp-filter');
  if (!n || !root) throw new HttpError(400, 'calendar-query needs a filter with a comp-filter');
  if (root.attrs['name']?.toUpperCase() !== 'VCALENDAR') throw new HttpError(403, 'valid-filter: the root comp-filter must be VCALENDAR');
  return compFilterOf(root, 0);
}

/** The calendar-data form asked inside D:prop: none, as stored, expanded or limited (with range). */
export function dataFormOf(prop: XNode | undefined): { data: 'none' | 'full' | 'expand' | 'limit'; range?: { start: number; end: number } } {
  const cd = child(prop, NS_CALDAV, 'calendar-data');
  if (!cd) return { data: 'none' };
  for (const [el, kind] of [['expand', 'expand'], ['limit-recurrence-set', 'limit']] as const) {
    const x = child(cd, NS_CALDAV, el);
    if (x) {
      const start = utc(x.attrs['start']);
      const end = utc(x.attrs['end']);
      if (start === null || end === null || end <= start) throw new HttpError(400, `${el} needs start and end`);
      return { data: kind, range: { start, end } };
    }
  }
  return { data: 'full' };
}
