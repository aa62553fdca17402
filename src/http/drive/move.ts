/**
 * MOVE /drive/{src} with `Destination: /drive/{dst}` (reference.md "Drive", RFC 4918 §9.9):
 * 201 when dst is new, 204 when it replaced something; `Overwrite: F` makes an existing dst 412;
 * a missing destination parent is 409; a Depth other than infinity or an Overwrite other than T/F is
 * 400; If-Match / If-Unmodified-Since on the source are honored (412). Never allowed through a share link.
 */
import { HttpError } from '../../common/errors.js';
import { resolveTarget, ownerOnly, destinationOf, checkWrite, writeGuard, overwriteOf } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** MOVE. */
export async function moveHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  ownerOnly(t, 'MOVE');
  const dst = destinationOf(req);
  const overwrite = overwriteOf(req);
  // §9.9.2: a MOVE of a collection acts as Depth: infinity; a client must send no other value.
  const depth = req.headers['depth'];
  if (depth !== undefined && depth.trim().toLowerCase() !== 'infinity') throw new HttpError(400, 'MOVE allows only Depth: infinity');
  await checkWrite(req, s, t, t.parts, true);
  await checkWrite(req, s, t, dst, true);
  const created = await s.drive.move(t.userId, t.parts, dst, overwrite, writeGuard(req));
  return { status: created ? 201 : 204 };
}
