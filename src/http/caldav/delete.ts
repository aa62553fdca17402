/** DELETE of an event or a whole calendar (RFC 4918 9.6, reference.md "DELETE"), honouring If-Match. */
import { HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { eventHref } from './target.js';
import { etagMatches } from '../../common/etag.js';

/** DELETE handler. */
export const del: MethodHandler = async (ctx, req, target, p) => {
  if (target.kind === 'event') {
    const href = eventHref(p, target.cal, target.name);
    ctx.locks.check(href, req.headers['if']);
    await ctx.calendars.remove(p.id, target.cal, target.name, { ifMatch: req.headers['if-match'] });
    ctx.locks.clear(href);
    return { status: 204 };
  }
  if (target.kind === 'calendar') {
    const s = await ctx.calendars.require(p.id, target.cal);
    const im = req.headers['if-match'];
    if (im !== undefined && !etagMatches(im, `ctag-${s.index.ctag}`)) throw new HttpError(412, 'Precondition failed');
    await ctx.calendars.removeCalendar(p.id, target.cal);
    return { status: 204 };
  }
  throw new HttpError(403, 'This collection cannot be deleted');
};
