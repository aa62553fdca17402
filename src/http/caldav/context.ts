/** What every CalDAV method handler is handed: the services and the per-process lock table. */
import type { Services } from '../../services/index.js';
import type { CalendarService } from '../../services/calendar.js';
import type { HttpRequest, Reply } from '../types.js';
import type { Principal } from '../../services/auth.js';
import type { Target } from './target.js';
import type { LockTable } from './locks.js';

/** The CalDAV handler context. */
export interface CaldavCtx {
  services: Services;
  calendars: CalendarService;
  locks: LockTable;
}

/** One CalDAV method handler. */
export type MethodHandler = (ctx: CaldavCtx, req: HttpRequest, target: Target, principal: Principal) => Promise<Reply>;

/** The DAV compliance classes of reference.md. */
export const DAV_HEADER = '1, 2, 3, calendar-access, calendar-schedule, addressbook';
/** Methods allowed on CalDAV resources. */
export const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCALENDAR, LOCK, UNLOCK';

/** A 207 Multi-Status XML reply. */
export const multistatus = (body: string, headers: Record<string, string> = {}): Reply => ({
  status: 207,
  headers: { 'content-type': 'application/xml; charset=utf-8', dav: DAV_HEADER, ...headers },
  body,
});

/** The Depth header: 0, 1 or infinity (default per method). */
export function depthOf(req: HttpRequest, dflt: '0' | '1' | 'infinity'): '0' | '1' | 'infinity' {
  const d = (req.headers['depth'] ?? '').trim().toLowerCase();
  if (d === '0' || d === '1' || d === 'infinity') return d;
  return dflt;
}
