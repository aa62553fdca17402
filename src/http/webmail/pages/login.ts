/**
 * GET/POST /webmail/login and POST /webmail/logout. Login checks the password with
 * services.auth.checkPassword (the shared lockout), then sets the session cookie. The form's
 * CSRF token is bound to a pre-login cookie; a post without one is accepted only when its
 * Origin is absent or ours (scripts), never cross-site.
 */
import type { Router } from '../../router.js';
import type { HttpRequest, Reply } from '../../types.js';
import { HttpError } from '../../../common/errors.js';
import { type WebContext, html, redirect, readForm, publicPage, page, sameOrigin, signedIn } from '../web.js';
import { bare } from '../views/layout.js';
import { loginView } from '../views/login.js';

/** A `next` target that stays inside the webmail (no open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !/^\/webmail\/[^\\]*$/.test(next) || next.startsWith('//')) return '/webmail/INBOX';
  return next;
}

function loginPage(ctx: WebContext, req: HttpRequest, status: number, extra: { next: string; username?: string; error?: string }): Reply {
  const token = ctx.sessions.formToken(req);
  const headers: Record<string, string> = token.cookie ? { 'set-cookie': token.cookie } : {};
  const body = loginView({
    base: ctx.base, csrf: token.csrf, registration: ctx.services.config.webmail.registration, ...extra,
  });
  return html(ctx.base, bare(ctx.base, 'Sign in', body), status, { headers });
}

async function postLogin(ctx: WebContext, req: HttpRequest): Promise<Reply> {
  const form = await readForm(req);
  const token = form.get('csrf');
  const pre = ctx.sessions.preLogin(req);
  if (token || pre) {
    if (!pre || !ctx.sessions.checkCsrf({ csrf: ctx.sessions.csrfFor(pre) }, token)) {
      throw new HttpError(403, 'Missing or invalid CSRF token');
    }
  } else if (!sameOrigin(ctx, req)) {
    throw new HttpError(403, 'Cross-site login refused');
  }
  const username = (form.get('username') ?? '').trim();
  const password = form.get('password') ?? '';
  const next = safeNext(form.get('next'));
  if (!username || !password) return loginPage(ctx, req, 400, { next, username, error: 'Enter your email address and password.' });
  const result = await ctx.services.auth.checkPassword(username, password, req.ip);
  if (result === 'locked') return loginPage(ctx, req, 429, { next, username, error: 'Too many failed attempts; try again later.' });
  if (result === 'disabled') return loginPage(ctx, req, 403, { next, username, error: 'This account is disabled.' });
  if (result === 'bad-credentials') return loginPage(ctx, req, 401, { next, username, error: 'Wrong email address or password.' });
  const rec = await ctx.services.accounts.get(result.user, result.domain);
  if (!rec) return loginPage(ctx, req, 401, { next, username, error: 'Wrong email address or password.' });
  const { cookie } = ctx.sessions.create(result.id, rec.password_hash);
  return redirect(ctx.base + next, { 'set-cookie': cookie });
}

/** Register the login, logout and root redirect routes. */
export function registerLoginRoutes(router: Router, ctx: WebContext): void {
  router.on(['GET', 'HEAD'], '/webmail/login', { auth: 'none' }, publicPage(ctx, async (req) => {
    const next = safeNext(req.query.get('next'));
    if (await signedIn(ctx, req)) return redirect(ctx.base + next);
    return loginPage(ctx, req, 200, { next });
  }));
  router.on('POST', '/webmail/login', { auth: 'none' }, publicPage(ctx, (req) => postLogin(ctx, req)));
  router.on('POST', '/webmail/logout', { auth: 'none' }, page(ctx, async (w) => {
    const cookie = ctx.sessions.revoke(w.session);
    return redirect(`${ctx.base}/webmail/login`, { 'set-cookie': cookie });
  }));
  router.on(['GET', 'HEAD'], '/webmail', { auth: 'none' }, async () => redirect(`${ctx.base}/webmail/INBOX`));
}
