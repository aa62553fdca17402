/** GET and HEAD of an event resource: the stored iCalendar text with its ETag (RFC 4791 5.3.4). */
import { HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { etagMatches } from '../../common/etag.js';

/** GET/HEAD handler. */
export const get: MethodHandler = async (ctx, req, target, p) => {
  if (target.kind !== 'event') throw new HttpError(405, 'GET is supported on calendar resources only', { allow: 'OPTIONS, PROPFIND, REPORT' });
  const ev = await ctx.calendars.read(p.id, target.cal, target.name);
  if (!ev) throw new HttpError(404, 'Not found');
  const etag = `"${ev.meta.etag}"`;
  const headers = { etag, 'last-modified': new Date(ev.meta.modified).toUTCString(), 'content-type': 'text/calendar; charset=utf-8' };
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && etagMatches(inm, ev.meta.etag)) return { status: 304, headers };
  return { status: 200, headers, body: ev.text };
};
