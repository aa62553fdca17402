/**
 * The webmail's request plumbing: session gate, CSRF gate on every POST, form parsing, HTML
 * replies with a strict Content-Security-Policy, redirects, and HTML error pages. Webmail
 * routes are declared `auth: 'none'` and go through `page()` here, which checks the cookie.
 */
import type { Services } from '../../services/index.js';
import type { Principal } from '../../services/auth.js';
import busboy from 'busboy';
import type { HttpRequest, Reply } from '../types.js';
import { HttpError, toHttp, isClientError, ClientGone } from '../../common/errors.js';
import { accountId, splitAddress } from '../../common/names.js';
import type { SessionManager, Session } from './session.js';
import type { SearchIndex } from './search.js';
import { bare } from './views/layout.js';
import { errorView } from './views/error.js';

/** What every webmail page handler is handed. */
export interface WebContext {
  services: Services;
  sessions: SessionManager;
  /** config.public_url without trailing slash. */
  base: string;
  /** In-folder search caches. */
  search: SearchIndex;
}

/** A signed-in request: the session, the principal and (for POST) the parsed form. */
export interface WebRequest {
  req: HttpRequest;
  session: Session;
  principal: Principal;
  /** The url-encoded form of a POST (empty for GET). */
  form: URLSearchParams;
  /** Files of a multipart form (pages that accept them). */
  files: UploadedFile[];
}

/** One file of a multipart form, held in memory (bounded by the page's limit). */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A webmail page handler. */
export type PageHandler = (w: WebRequest) => Promise<Reply>;

/** CSP options: a message page may allow remote images once the user asked for them. */
export interface CspOptions {
  remoteImages?: boolean;
}

/** The Content-Security-Policy of every webmail page: no scripts, no plugins, no framing. */
export function csp(base: string, opts: CspOptions = {}): string {
  const self = `'self' ${base}`;
  const img = opts.remoteImages ? `${self} data: https: http:` : `${self} data:`;
  return [
    "default-src 'none'", "script-src 'none'", "object-src 'none'", `style-src ${self}`, `img-src ${img}`,
    `font-src ${self}`, `form-action ${self}`, "frame-ancestors 'none'", "base-uri 'none'", "frame-src 'none'",
  ].join('; ');
}

/** An HTML reply with the security headers every page carries. */
export function html(base: string, body: string, status = 200, opts: CspOptions & { headers?: Record<string, string> } = {}): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp(base, opts),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      ...(opts.headers ?? {}),
    },
    body,
  };
}

/** A 303 redirect to an absolute URL (after a POST, or to the login page). */
export function redirect(location: string, headers: Record<string, string> = {}): Reply {
  return { status: 303, headers: { location, 'cache-control': 'no-store', ...headers }, body: '' };
}

/** Read an url-encoded form body (64 KB unless told). */
export async function readForm(req: HttpRequest, limit = 64 * 1024): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const body = await req.body(limit);
  if (body.length === 0) return new URLSearchParams();
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new HttpError(415, 'Forms must be sent as application/x-www-form-urlencoded');
  }
  return new URLSearchParams(body.toString('utf8'));
}

/** Read a multipart form into fields and in-memory files (at most `limit` bytes in all). */
export function readMultipart(req: HttpRequest, limit: number): Promise<{ form: URLSearchParams; files: UploadedFile[] }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fields: 50, files: 50, fieldSize: limit, fileSize: limit } });
    } catch {
      reject(new HttpError(400, 'Bad multipart body'));
      return;
    }
    const form = new URLSearchParams();
    const files: UploadedFile[] = [];
    let total = 0;
    let failure: unknown;
    const count = (n: number): void => {
      total += n;
      if (total > limit) failure ??= new HttpError(413, 'The message is too large');
    };
    bb.on('field', (name, value) => { count(value.length); form.append(name, value); });
    bb.on('file', (field, stream, info) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => { count(d.length); if (!failure) parts.push(d); });
      stream.on('end', () => {
        if (info.filename && !failure) {
          files.push({ field, filename: info.filename, contentType: info.mimeType || 'application/octet-stream', content: Buffer.concat(parts) });
        }
      });
    });
    bb.on('error', (err) => { failure ??= new HttpError(400, `Bad multipart body: ${(err as Error).message}`); });
    bb.on('close', () => (failure ? reject(failure) : resolve({ form, files })));
    const input = req.stream(limit + 64 * 1024);
    input.on('error', (err) => { failure ??= err; reject(failure); });
    input.pipe(bb);
  });
}

/** An HTML error page for any thrown value (500 hides the detail, the log keeps it). */
export function errorPage(ctx: WebContext, req: HttpRequest, err: unknown): Reply {
  if (err instanceof ClientGone) return { status: 499 };
  const { status, message } = toHttp(err);
  if (!isClientError(err)) ctx.services.log.error('webmail request failed', { path: req.rawPath, err: err as Error });
  return html(ctx.base, bare(ctx.base, `Error ${status}`, errorView(ctx.base, status, message)), status);
}

/** The login URL that returns to `req`'s page afterwards. */
export function loginUrl(ctx: WebContext, req: HttpRequest): string {
  const back = req.method === 'GET' ? req.rawPath + (req.query.size ? `?${req.query}` : '') : '/webmail/';
  return `${ctx.base}/webmail/login?next=${encodeURIComponent(back)}`;
}

/**
 * The signed-in user of a request: a valid session cookie whose account still exists, is
 * enabled, and has the password the session was opened with. Null otherwise.
 */
export async function signedIn(ctx: WebContext, req: HttpRequest): Promise<{ session: Session; principal: Principal } | null> {
  const session = ctx.sessions.read(req);
  const a = session ? splitAddress(session.userId) : null;
  if (!session || !a) return null;
  const rec = await ctx.services.accounts.get(a.user, a.domain);
  if (!rec || !rec.enabled || ctx.sessions.passwordTag(rec.password_hash) !== session.pw) return null;
  return { session, principal: { id: accountId(rec.username, rec.domain), user: rec.username, domain: rec.domain, admin: rec.admin } };
}

/**
 * Wrap a page: resolve the session (redirect to the login page when absent), load the
 * principal (a disabled or deleted account ends the session), and for POST parse the form and
 * refuse it (403) without the session's CSRF token. Errors become HTML error pages.
 */
export function page(
  ctx: WebContext, handler: PageHandler,
  opts: { formLimit?: number; rawBody?: boolean; multipart?: boolean; csrfExempt?: (req: HttpRequest) => boolean } = {},
) {
  return async (req: HttpRequest): Promise<Reply> => {
    try {
      const who = await signedIn(ctx, req);
      if (!who) return redirect(loginUrl(ctx, req));
      const { session, principal } = who;
      let form = new URLSearchParams();
      let files: UploadedFile[] = [];
      if (req.method !== 'GET' && req.method !== 'HEAD' && !opts.csrfExempt?.(req)) {
        if (opts.multipart && (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) {
          ({ form, files } = await readMultipart(req, opts.formLimit ?? 64 * 1024));
        } else if (!opts.rawBody) form = await readForm(req, opts.formLimit);
        const token = opts.rawBody ? req.query.get('csrf') ?? req.headers['x-csrf-token'] : form.get('csrf');
        if (!ctx.sessions.checkCsrf(session, token)) throw new HttpError(403, 'Missing or invalid CSRF token');
      }
      return await handler({ req, session, principal, form, files });
    } catch (err) {
      return errorPage(ctx, req, err);
    }
  };
}

/** Wrap a page that needs no session (login, register, docs): errors become HTML pages. */
export function publicPage(ctx: WebContext, handler: (req: HttpRequest) => Promise<Reply>) {
  return async (req: HttpRequest): Promise<Reply> => {
    try {
      return await handler(req);
    } catch (err) {
      return errorPage(ctx, req, err);
    }
  };
}

/** True when a POST's Origin (if any) is this server's (login CSRF defence for token-less posts). */
export function sameOrigin(ctx: WebContext, req: HttpRequest): boolean {
  const origin = req.headers['origin'];
  if (!origin || origin === 'null') return origin !== 'null';
  if (origin === new URL(ctx.base).origin) return true;
  const host = req.headers['host'];
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
}
