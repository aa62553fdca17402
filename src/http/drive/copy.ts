/**
 * COPY /drive/{src} with `Destination: /drive/{dst}` (RFC 4918 §9.8): files, or collections
 * with `Depth: infinity` (default) or `0` (the collection alone, with its dead properties).
 * 201 new / 204 replaced; `Overwrite: F` → 412 (anything but T/F → 400); missing destination parent
 * → 409; If-Match / If-Unmodified-Since on the source are honored (412).
 */
import { HttpError } from '../../common/errors.js';
import { resolveTarget, ownerOnly, destinationOf, checkWrite, writeGuard, overwriteOf } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** COPY. */
export async function copyHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  ownerOnly(t, 'COPY');
  const dst = destinationOf(req);
  const depth = (req.headers['depth'] ?? 'infinity').trim().toLowerCase();
  if (depth !== '0' && depth !== 'infinity') throw new HttpError(400, 'Depth must be 0 or infinity');
  const overwrite = overwriteOf(req);
  await checkWrite(req, s, t, dst, true);
  const created = await s.drive.copy(t.userId, t.parts, dst, overwrite, depth === '0', writeGuard(req));
  return { status: created ? 201 : 204 };
}
