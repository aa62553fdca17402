/** UNLOCK /drive/{path} with `Lock-Token: <token>` (RFC 4918 §9.11): 204, or 409 when it does not apply. */
import { HttpError } from '../../common/errors.js';
import { resolveTarget, ownerOnly } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** UNLOCK. */
export async function unlockHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  ownerOnly(t, 'UNLOCK');
  const h = req.headers['lock-token'];
  if (!h) throw new HttpError(400, 'Lock-Token header required');
  s.drive.locks.unlock(t.userId, t.parts.join('/'), h.trim().replace(/^<|>$/g, ''));
  return { status: 204 };
}
