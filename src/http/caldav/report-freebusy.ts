/** REPORT free-busy-query (RFC 4791 7.10): a VFREEBUSY of the calendar's busy time over the range. */
import { randomUUID } from 'node:crypto';
import { HttpError } from '../../common/errors.js';
import { icalUtc } from '../../common/icalendar/time.js';
import type { Principal } from '../../services/auth.js';
import type { Reply } from '../types.js';
import type { CaldavCtx } from './context.js';
import { NS_CALDAV, child, type XNode } from './xml.js';
import { timeRangeOf } from './filter.js';
import type { Target } from './target.js';

type Busy = { start: number; end: number; type: string };

/** Merge overlapping periods of the same type. */
export function mergeBusy(periods: Busy[]): Busy[] {
  const out: Busy[] = [];
  for (const p of [...periods].sort((a, b) => a.type.localeCompare(b.type) || a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && last.type === p.type && p.start <= last.end) last.end = Math.max(last.end, p.end);
    else out.push({ ...p });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Answer a free-busy-query with a text/calendar VFREEBUSY. */
export async function freeBusy(ctx: CaldavCtx, root: XNode, target: Target, p: Principal): Promise<Reply> {
  const tr = timeRangeOf(child(root, NS_CALDAV, 'time-range'));
  if (!tr || tr.start === null || tr.end === null) throw new HttpError(400, 'free-busy-query needs a time-range with start and end');
  const range = { start: tr.start, end: tr.end };
  const cals = target.kind === 'calendar' ? [target.cal] : target.kind === 'home' || target.kind === 'principal' ? await ctx.calendars.names(p.id) : [];
  if (cals.length === 0) throw new HttpError(403, 'free-busy-query runs on a calendar collection');
  const periods: Busy[] = [];
  for (const cal of cals) periods.push(...(await ctx.calendars.busy(p.id, cal, range)));
  const lines = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//rmail//CalDAV//EN', 'BEGIN:VFREEBUSY',
    `UID:${randomUUID()}`, `DTSTAMP:${icalUtc(Date.now())}`, `DTSTART:${icalUtc(range.start)}`, `DTEND:${icalUtc(range.end)}`,
    ...mergeBusy(periods).map((b) => `FREEBUSY;FBTYPE=${b.type}:${icalUtc(b.start)}/${icalUtc(b.end)}`),
    'END:VFREEBUSY', 'END:VCALENDAR', '',
  ];
  return { status: 200, headers: { 'content-type': 'text/calendar; charset=utf-8' }, body: lines.join('\r\n') };
}
