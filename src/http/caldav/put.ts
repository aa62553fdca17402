/**
 * PUT of a calendar object resource (RFC 4791 5.3.2, reference.md "PUT"): If-None-Match: *
 * (create only) and If-Match (412 on mismatch), body validated with ical.js (400 with the
 * reason), one UID per resource (409 on a UID used by another resource), new ETag returned.
 */
import { HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { eventHref } from './target.js';

const LIMIT = 4 * 1024 * 1024;

/** PUT handler. */
export const put: MethodHandler = async (ctx, req, target, p) => {
  if (target.kind !== 'event') throw new HttpError(405, 'PUT is supported on calendar resources only');
  const href = eventHref(p, target.cal, target.name);
  ctx.locks.check(href, req.headers['if']);
  const ct = (req.headers['content-type'] ?? 'text/calendar').toLowerCase();
  if (!ct.startsWith('text/calendar') && !ct.startsWith('application/octet-stream') && !ct.startsWith('text/plain')) {
    throw new HttpError(415, 'Content-Type must be text/calendar');
  }
  const text = (await req.body(LIMIT)).toString('utf8');
  const r = await ctx.calendars.put(p.id, target.cal, target.name, text, {
    ifMatch: req.headers['if-match'], ifNoneMatch: req.headers['if-none-match'],
  });
  return { status: r.created ? 201 : 204, headers: { etag: `"${r.etag}"`, ...(r.created ? { location: href } : {}) } };
};
