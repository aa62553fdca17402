/**
 * GET/POST /webmail/register: self-service account creation, only when
 * config.webmail.registration is true (404 otherwise). Creates the account through the
 * AccountService (the domain's actor), then signs the new user in.
 */
import type { Router } from '../../router.js';
import type { HttpRequest, Reply } from '../../types.js';
import { HttpError, ValidationError, ConflictError } from '../../../common/errors.js';
import { type WebContext, html, redirect, readForm, publicPage } from '../web.js';
import { bare } from '../views/layout.js';
import { registerView } from '../views/login.js';

function domains(ctx: WebContext): string[] {
  const list = ctx.services.config.domains.filter((d) => d !== 'localhost');
  return list.length ? list : ['localhost'];
}

function form(ctx: WebContext, req: HttpRequest, status: number, extra: { username?: string; domain?: string; error?: string }): Reply {
  const token = ctx.sessions.formToken(req);
  const headers: Record<string, string> = token.cookie ? { 'set-cookie': token.cookie } : {};
  const body = registerView({ base: ctx.base, csrf: token.csrf, domains: domains(ctx), ...extra });
  return html(ctx.base, bare(ctx.base, 'Create an account', body), status, { headers });
}

function enabled(ctx: WebContext): void {
  if (!ctx.services.config.webmail.registration) throw new HttpError(404, 'Registration is disabled');
}

async function submit(ctx: WebContext, req: HttpRequest): Promise<Reply> {
  enabled(ctx);
  const f = await readForm(req);
  const pre = ctx.sessions.preLogin(req);
  if (!pre || !ctx.sessions.checkCsrf({ csrf: ctx.sessions.csrfFor(pre) }, f.get('csrf'))) {
    throw new HttpError(403, 'Missing or invalid CSRF token');
  }
  const username = (f.get('username') ?? '').trim().toLowerCase();
  const domain = (f.get('domain') ?? '').trim().toLowerCase();
  const password = f.get('password') ?? '';
  if (!domains(ctx).includes(domain)) return form(ctx, req, 400, { username, error: 'Choose one of the listed domains.' });
  if (password !== (f.get('password2') ?? '')) return form(ctx, req, 400, { username, domain, error: 'The passwords differ.' });
  if (ctx.services.auth.isLocked(req.ip)) return form(ctx, req, 429, { username, domain, error: 'Too many attempts; try later.' });
  try {
    await ctx.services.accounts.create({ username, domain, password });
  } catch (err) {
    if (err instanceof ValidationError) return form(ctx, req, 400, { username, domain, error: err.message });
    if (err instanceof ConflictError) {
      ctx.services.auth.recordFailure(req.ip);
      return form(ctx, req, 409, { username, domain, error: 'That name is taken.' });
    }
    throw err;
  }
  const rec = await ctx.services.accounts.require(username, domain);
  const { cookie } = ctx.sessions.create(`${username}@${domain}`, rec.password_hash);
  return redirect(`${ctx.base}/webmail/INBOX`, { 'set-cookie': cookie });
}

/** Register GET and POST /webmail/register. */
export function registerRegisterRoutes(router: Router, ctx: WebContext): void {
  router.on(['GET', 'HEAD'], '/webmail/register', { auth: 'none' }, publicPage(ctx, async (req) => {
    enabled(ctx);
    return form(ctx, req, 200, {});
  }));
  router.on('POST', '/webmail/register', { auth: 'none' }, publicPage(ctx, (req) => submit(ctx, req)));
}
