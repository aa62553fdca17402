/**
 * REPORT (RFC 3253 3.6) dispatch on the body's root element: calendar-multiget,
 * calendar-query, sync-collection, free-busy-query; anything else is 403 DAV:supported-report.
 */
import { HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { multistatus } from './context.js';
import { NS_CALDAV, NS_DAV, XML_LIMIT, davError, document, parseXml } from './xml.js';
import { multiget } from './report-multiget.js';
import { calendarQuery } from './report-query.js';
import { syncCollection } from './report-sync.js';
import { freeBusy } from './report-freebusy.js';

/** REPORT handler. */
export const report: MethodHandler = async (ctx, req, target, p) => {
  const root = parseXml(await req.body(XML_LIMIT));
  const ms = (inner: string) => multistatus(document(NS_DAV, 'multistatus', inner));
  if (root.ns === NS_CALDAV && root.name === 'calendar-multiget') return ms(await multiget(ctx, root, p));
  if (root.ns === NS_CALDAV && root.name === 'calendar-query') return ms(await calendarQuery(ctx, root, target, p));
  if (root.ns === NS_CALDAV && root.name === 'free-busy-query') return freeBusy(ctx, root, target, p);
  if (root.ns === NS_DAV && root.name === 'sync-collection') {
    try {
      return ms(await syncCollection(ctx, root, target, p));
    } catch (err) {
      if (err instanceof HttpError && err.status === 403 && err.message === 'valid-sync-token') {
        return { status: 403, headers: { 'content-type': 'application/xml; charset=utf-8' }, body: davError(NS_DAV, 'valid-sync-token') };
      }
      throw err;
    }
  }
  return { status: 403, headers: { 'content-type': 'application/xml; charset=utf-8' }, body: davError(NS_DAV, 'supported-report') };
};
