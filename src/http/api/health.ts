/** GET /health: a trivial liveness route for load balancers (and the HTTP bench's baseline). */
import type { Router } from '../router.js';
import { json } from '../reply.js';

/** Register GET /health. */
export function registerHealthRoutes(router: Router): void {
  router.on(['GET', 'HEAD'], '/health', { auth: 'none' }, async () => json(200, { status: 'ok' }));
}
