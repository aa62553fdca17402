/** OPTIONS on /caldav/* (RFC 4918 10.1, RFC 4791 5.1): the DAV classes of reference.md and Allow. */
import type { Reply } from '../types.js';
import { ALLOW, DAV_HEADER } from './context.js';

/** OPTIONS handler (no authentication: it is also the CORS preflight). */
export async function options(): Promise<Reply> {
  return { status: 200, headers: { dav: DAV_HEADER, allow: ALLOW } };
}
