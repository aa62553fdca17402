/**
 * REPORT calendar-query (RFC 4791 7.8): comp-filter / prop-filter / text-match / time-range
 * with recurrences expanded in the worker pool; calendar-data as stored, expanded (9.6.5) or
 * limited (9.6.6).
 */
import { HttpError } from '../../common/errors.js';
import type { Principal } from '../../services/auth.js';
import type { CaldavCtx } from './context.js';
import { NS_CALDAV, NS_DAV, child, type XNode } from './xml.js';
import { eventEntries, reportProps, wantsData } from './report-util.js';
import { dataFormOf, filterOf } from './filter.js';
import type { Target } from './target.js';

/** Answer a calendar-query body with the inner XML of the multistatus. */
export async function calendarQuery(ctx: CaldavCtx, root: XNode, target: Target, p: Principal): Promise<string> {
  if (target.kind !== 'calendar' && target.kind !== 'event') throw new HttpError(403, 'calendar-query runs on a calendar collection');
  const want = reportProps(root);
  const form = wantsData(want) ? dataFormOf(child(root, NS_DAV, 'prop')) : { data: 'none' as const };
  const filter = filterOf(child(root, NS_CALDAV, 'filter'));
  const store = await ctx.calendars.require(p.id, target.cal);
  const hits = await ctx.calendars.query(p.id, target.cal, { filter, data: form.data, range: form.range });
  const entry = eventEntries(p, target.cal, want);
  const out: string[] = [];
  for (const h of hits) {
    if (target.kind === 'event' && h.name !== target.name) continue;
    const meta = store.index.events[h.name];
    if (meta) out.push(entry(h.name, meta, h.data));
  }
  return out.join('');
}
