/** REPORT calendar-multiget (RFC 4791 7.9): the listed hrefs with their properties; unknown ones 404. */
import type { Principal } from '../../services/auth.js';
import type { CaldavCtx } from './context.js';
import { NS_DAV, childrenOf, response, type XNode } from './xml.js';
import { hrefToEvent } from './target.js';
import { eventEntry, reportProps, wantsData } from './report-util.js';

/** Answer a calendar-multiget body with the inner XML of the multistatus. */
export async function multiget(ctx: CaldavCtx, root: XNode, p: Principal): Promise<string> {
  const want = reportProps(root);
  const data = wantsData(want);
  const hrefs = childrenOf(root, NS_DAV, 'href').map((h) => h.text.trim()).slice(0, 10_000);
  const parts = await Promise.all(hrefs.map(async (href) => {
    const ev = hrefToEvent(href, p);
    if (!ev) return response(href, [], [], 404);
    if (data) {
      const r = await ctx.calendars.read(p.id, ev.cal, ev.name).catch(() => undefined);
      return r ? eventEntry(p, ev.cal, ev.name, r.meta, want, r.text) : response(href, [], [], 404);
    }
    const s = await ctx.calendars.get(p.id, ev.cal).catch(() => undefined);
    const meta = s?.index.events[ev.name];
    return meta ? eventEntry(p, ev.cal, ev.name, meta, want) : response(href, [], [], 404);
  }));
  return parts.join('');
}
