/**
 * DELETE /drive/{path} (reference.md "Drive"): a file, or a directory recursively. Through a
 * share it needs D and never removes the share root. Honors WebDAV locks (RFC 4918 §9.6) and
 * If-Match / If-None-Match / If-Unmodified-Since (RFC 9110 §13: 412, nothing deleted).
 */
import { HttpError, NotFoundError } from '../../common/errors.js';
import { resolveTarget, need, checkWrite, writeGuard } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** DELETE. */
export async function deleteHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  need(t, 'D');
  if (t.share && t.sub.length === 0) throw new HttpError(403, 'The share root cannot be deleted through the link');
  if (t.parts.length === 0) throw new HttpError(403, 'The drive root cannot be deleted');
  if (req.rawPath.includes('#')) throw new HttpError(400, 'Fragments are not allowed');
  if (!(await s.drive.stat(t.userId, t.parts))) throw new NotFoundError('Not found');
  await checkWrite(req, s, t, t.parts, true);
  await s.drive.remove(t.userId, t.parts, writeGuard(req));
  return { status: 204 };
}
