/**
 * MOVE /drive/{src} with `Destination: /drive/{dst}` (reference.md "Drive", RFC 4918 §9.9):
 * 201 when dst is new, 204 when it replaced something; `Overwrite: F` makes an existing dst 412;
 * a missing destination parent is 409. Never allowed through a share link.
 */
import { resolveTarget, ownerOnly, destinationOf, checkWrite } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** MOVE. */
export async function moveHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  ownerOnly(t, 'MOVE');
  const dst = destinationOf(req);
  const overwrite = (req.headers['overwrite'] ?? 'T').trim().toUpperCase() !== 'F';
  await checkWrite(req, s, t, t.parts, true);
  await checkWrite(req, s, t, dst, true);
  const created = await s.drive.move(t.userId, t.parts, dst, overwrite);
  return { status: created ? 201 : 204 };
}
