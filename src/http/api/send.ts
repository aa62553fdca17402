/** POST /messages/send (reference.md): compose and send; a copy goes to Sent. */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import { json, readJsonObject, principalOf } from '../reply.js';
import { sendMessage } from '../../services/send.js';

/** Register POST /messages/send. */
export function registerSendRoutes(router: Router, services: Services): void {
  router.on('POST', '/messages/send', { auth: 'user' }, async (req) => {
    const principal = principalOf(req);
    const body = await readJsonObject(req, 25 * 1024 * 1024);
    return json(200, await sendMessage(services, principal, body));
  });
}
