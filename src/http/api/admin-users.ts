/** /admin/users...: user management for admins (reference.md "Admin — User Management"). */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest } from '../types.js';
import { json, readJsonObject, principalOf } from '../reply.js';
import { checkDomain, checkUsername } from '../../common/names.js';
import { HttpError } from '../../common/errors.js';

/** The `?domain=` of an admin request, defaulting to the admin's own domain. */
function domainOf(req: HttpRequest): string {
  const d = req.query.get('domain');
  return checkDomain(d === null || d === '' ? principalOf(req).domain : d);
}

/** Register every /admin/users route. */
export function registerAdminUserRoutes(router: Router, { accounts, auth }: Services): void {
  router.on('GET', '/admin/users', { auth: 'admin' }, async (req) => {
    return json(200, { users: await accounts.list(domainOf(req)) });
  });

  router.on('POST', '/admin/users', { auth: 'admin' }, async (req) => {
    const body = await readJsonObject(req, 16 * 1024);
    if (body.username === undefined) throw new HttpError(400, 'username is required');
    if (body.password === undefined) throw new HttpError(400, 'password is required');
    if (body.domain === undefined) throw new HttpError(400, 'domain is required');
    const user = await accounts.create({
      username: body.username, password: body.password, domain: body.domain, admin: body.admin, quota_mb: body.quota_mb,
    });
    return json(201, user);
  });

  router.on('GET', '/admin/users/:username', { auth: 'admin' }, async (req) => {
    const rec = await accounts.require(checkUsername(req.params.username), domainOf(req));
    const { password_hash: _hash, ...info } = rec;
    return json(200, info);
  });

  router.on('PATCH', '/admin/users/:username', { auth: 'admin' }, async (req) => {
    const name = checkUsername(req.params.username);
    const domain = domainOf(req);
    const body = await readJsonObject(req, 16 * 1024);
    for (const key of Object.keys(body)) {
      if (!['enabled', 'admin', 'quota_mb'].includes(key)) throw new HttpError(400, `Unknown field: ${key}`);
    }
    const info = await accounts.update(name, domain, body as { enabled?: boolean; admin?: boolean; quota_mb?: number });
    auth.forgetCredentials();
    return json(200, info);
  });

  router.on('DELETE', '/admin/users/:username', { auth: 'admin' }, async (req) => {
    const name = checkUsername(req.params.username);
    const domain = domainOf(req);
    await accounts.remove(name, domain);
    auth.forgetCredentials();
    return json(200, { deleted: `${name}@${domain}` });
  });

  router.on('PUT', '/admin/users/:username/password', { auth: 'admin' }, async (req) => {
    const name = checkUsername(req.params.username);
    const domain = domainOf(req);
    const body = await readJsonObject(req, 16 * 1024);
    if (body.password === undefined) throw new HttpError(400, 'password is required');
    await accounts.setPassword(name, domain, body.password);
    auth.forgetCredentials();
    return json(200, { updated: `${name}@${domain}` });
  });
}
