/** POST /auth/login: credentials in, HS256 JWT out. */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import { json, jsonError, readJsonObject } from '../reply.js';

/** Register /auth/login. */
export function registerAuthRoutes(router: Router, { auth }: Services): void {
  router.on('POST', '/auth/login', { auth: 'none' }, async (req) => {
    if (auth.isLocked(req.ip)) return jsonError(429, 'Too many failed attempts; try again later');
    const body = await readJsonObject(req, 16 * 1024);
    const { username, password, domain } = body;
    if (typeof username !== 'string' || username === '') return jsonError(400, 'username is required');
    if (typeof password !== 'string' || password === '') return jsonError(400, 'password is required');
    if (domain !== undefined && typeof domain !== 'string') return jsonError(400, 'domain must be a string');
    const result = await auth.checkPassword(username, password, req.ip, domain);
    if (result === 'locked') return jsonError(429, 'Too many failed attempts; try again later');
    if (result === 'disabled') return jsonError(403, 'Account disabled');
    if (result === 'bad-credentials') return jsonError(401, 'Invalid username or password');
    const { token, expires_in } = await auth.issueToken(result);
    return json(200, { token, username: result.user, domain: result.domain, expires_in });
  });
}
