/**
 * MKCOL /drive/{path} (RFC 4918 §9.3, reference.md "Drive"): 201; 405 when something exists
 * there; 409 when the parent is missing; 415 with a body. Through a share it needs C.
 */
import { HttpError } from '../../common/errors.js';
import { resolveTarget, need, checkWrite } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** MKCOL. */
export async function mkcolHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  need(t, 'C');
  const len = req.headers['content-length'];
  if ((len !== undefined && len !== '0') || req.headers['transfer-encoding']) {
    const body = await req.body(64 * 1024);
    if (body.length > 0) throw new HttpError(415, 'MKCOL with a body is not supported');
  }
  if (t.parts.length === 0 || (await s.drive.stat(t.userId, t.parts))) throw new HttpError(405, 'Already exists');
  await checkWrite(req, s, t, t.parts, false);
  await s.drive.mkdir(t.userId, t.parts, false);
  return { status: 201, headers: { location: [t.base, ...t.sub.map(encodeURIComponent)].join('/') + '/' } };
}
