/** OPTIONS /drive/* (RFC 4918 §10.1): advertise DAV class 1 and 2 and the drive's methods, no auth. */
import type { Reply } from '../types.js';

/** Methods the drive answers. */
export const DRIVE_METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'MOVE', 'COPY', 'MKCOL', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK'];

/** OPTIONS. */
export async function optionsHandler(): Promise<Reply> {
  return { status: 200, headers: { dav: '1, 2', allow: DRIVE_METHODS.join(', '), 'ms-author-via': 'DAV' }, body: '' };
}
