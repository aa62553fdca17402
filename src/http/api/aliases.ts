/** /aliases: regex alias rules of the caller's domain. */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import { json, readJsonObject, principalOf } from '../reply.js';

/** Register /aliases routes. */
export function registerAliasRoutes(router: Router, { accounts }: Services): void {
  router.on('GET', '/aliases', { auth: 'user' }, async (req) => {
    const domain = principalOf(req).domain;
    return json(200, { domain, aliases: await accounts.aliases(domain) });
  });

  router.on('POST', '/aliases', { auth: 'admin' }, async (req) => {
    const body = await readJsonObject(req, 16 * 1024);
    const domain = principalOf(req).domain;
    const rule = await accounts.addAlias(domain, body.pattern, body.target);
    return json(201, { domain, ...rule });
  });

  router.on('DELETE', '/aliases/:pattern', { auth: 'admin' }, async (req) => {
    const domain = principalOf(req).domain;
    await accounts.removeAlias(domain, req.params.pattern!);
    return json(200, { deleted: req.params.pattern });
  });
}
