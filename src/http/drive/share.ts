/**
 * The share API (reference.md "Share API", CONTRACT.md share record), owner only:
 * POST /drive/_share (201), GET /drive/_share ({"shares": [...]}), GET / PATCH / DELETE
 * /drive/_share/{uid} (404 for shares of anyone else).
 */
import { json, readJsonObject, principalOf } from '../reply.js';
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';

/** Register the share API routes (before the catch-all drive route). */
export function registerShareRoutes(router: Router, s: Services): void {
  const shares = s.drive.shares;
  router.on('POST', '/drive/_share', { auth: 'user' }, async (req) =>
    json(201, await shares.create(principalOf(req).id, await readJsonObject(req))));
  router.on('GET', '/drive/_share', { auth: 'user' }, async (req) =>
    json(200, { shares: await shares.list(principalOf(req).id) }));
  router.on('GET', '/drive/_share/:uid', { auth: 'user' }, async (req) =>
    json(200, await shares.get(principalOf(req).id, req.params.uid!)));
  router.on('PATCH', '/drive/_share/:uid', { auth: 'user' }, async (req) =>
    json(200, await shares.update(principalOf(req).id, req.params.uid!, await readJsonObject(req))));
  router.on('DELETE', '/drive/_share/:uid', { auth: 'user' }, async (req) => {
    await shares.revoke(principalOf(req).id, req.params.uid!);
    return { status: 204 };
  });
}
