/**
 * CalDAV front end (reference.md "CalDAV", RFC 4791/4918/6578/6638): `/.well-known/caldav`
 * 301, OPTIONS without auth, every other method under `/caldav/*` with `auth: 'user'`; the
 * path is resolved to a Target of the principal's own tree before any handler runs.
 */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';
import { principalOf } from '../reply.js';
import type { CaldavCtx, MethodHandler } from './context.js';
import { DAV_HEADER } from './context.js';
import { resolveTarget } from './target.js';
import { LockTable } from './locks.js';
import { options } from './options.js';
import { propfind } from './propfind.js';
import { proppatch } from './proppatch.js';
import { report } from './report.js';
import { get } from './get.js';
import { put } from './put.js';
import { del } from './delete.js';
import { mkcalendar } from './mkcalendar.js';
import { lock, unlock } from './lock.js';

const METHODS: Record<string, MethodHandler> = {
  PROPFIND: propfind, PROPPATCH: proppatch, REPORT: report, GET: get, HEAD: get, PUT: put, DELETE: del,
  MKCALENDAR: mkcalendar, LOCK: lock, UNLOCK: unlock,
};

/** Register /.well-known/caldav and /caldav/*. */
export function registerCaldavRoutes(router: Router, services: Services): void {
  const ctx: CaldavCtx = { services, calendars: services.calendar, locks: new LockTable() };
  const wellKnown = async (): Promise<Reply> => ({ status: 301, headers: { location: '/caldav/' } });
  router.on('*', '/.well-known/caldav', { auth: 'none' }, wellKnown);
  router.on('OPTIONS', '/caldav/*', { auth: 'none' }, options);
  router.on(Object.keys(METHODS), '/caldav/*', { auth: 'user' }, async (req: HttpRequest) => {
    const p = principalOf(req);
    const target = resolveTarget(req.rest, p);
    const reply = await METHODS[req.method]!(ctx, req, target, p);
    reply.headers = { dav: DAV_HEADER, ...(reply.headers ?? {}) };
    return reply;
  });
}
