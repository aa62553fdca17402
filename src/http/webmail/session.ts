/**
 * Webmail cookie sessions. The cookie is `rmail_session=<payload>.<mac>`: payload is
 * base64url JSON {u: user id, n: nonce, e: expiry ms, p: a tag of the account's password hash, so
 * a password change ends every session}, mac an HMAC-SHA256 over it with the
 * server's secret, so any rmail process sharing the secret accepts it. Cookies are HttpOnly,
 * SameSite=Lax, Secure when the public URL or the listener is TLS. The CSRF token of a session
 * is HMAC("csrf", nonce): every POST form carries it and every POST handler checks it.
 * Logout revokes the nonce (in memory, until the cookie would expire) and clears the cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../common/types.js';
import type { HttpRequest } from '../types.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'rmail_session';
/** The pre-login cookie whose HMAC is the login form's CSRF token. */
export const PRELOGIN_COOKIE = 'rmail_pre';

const TTL_MS = 12 * 3600_000;

/** A live session. */
export interface Session {
  userId: string;
  /** Tag of the password hash the session was opened with. */
  pw: string;
  nonce: string;
  expires: number;
  csrf: string;
}

/** Parse a Cookie header into name → value (first one wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Issues, reads and revokes webmail sessions. */
export class SessionManager {
  private readonly key: Buffer;
  private readonly revoked = new Map<string, number>();
  private readonly secure: boolean;

  constructor(config: Config) {
    const s = config.exchange_api.token_secret;
    this.key = s ? createHmac('sha256', s).update('rmail webmail session').digest() : randomBytes(32);
    this.secure = config.http.tls || config.public_url.startsWith('https:');
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  /** The CSRF token bound to a nonce. */
  csrfFor(nonce: string): string {
    return this.mac(`csrf:${nonce}`).slice(0, 32);
  }

  /** The tag of a password hash stored in the session (not reversible). */
  passwordTag(passwordHash: string): string {
    return this.mac(`pw:${passwordHash}`).slice(0, 16);
  }

  /** Start a session for `userId` (whose password hash is `passwordHash`): the Set-Cookie value and the session. */
  create(userId: string, passwordHash: string): { cookie: string; session: Session } {
    const nonce = b64(randomBytes(18));
    const expires = Date.now() + TTL_MS;
    const pw = this.passwordTag(passwordHash);
    const payload = b64(JSON.stringify({ u: userId, n: nonce, e: expires, p: pw }));
    const value = `${payload}.${this.mac(payload)}`;
    return {
      cookie: this.cookie(SESSION_COOKIE, value, Math.floor(TTL_MS / 1000)),
      session: { userId, pw, nonce, expires, csrf: this.csrfFor(nonce) },
    };
  }

  /** The session a request carries, or null (absent, forged, expired or revoked). */
  read(req: HttpRequest): Session | null {
    const raw = parseCookies(req.headers['cookie']).get(SESSION_COOKIE);
    if (!raw) return null;
    const dot = raw.indexOf('.');
    if (dot <= 0) return null;
    const payload = raw.slice(0, dot);
    const given = Buffer.from(raw.slice(dot + 1));
    const want = Buffer.from(this.mac(payload));
    if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
    let data: { u?: unknown; n?: unknown; e?: unknown; p?: unknown };
    try {
      data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (typeof data.u !== 'string' || typeof data.n !== 'string' || typeof data.e !== 'number' || typeof data.p !== 'string') return null;
    if (data.e < Date.now() || this.revoked.has(data.n)) return null;
    return { userId: data.u, pw: data.p, nonce: data.n, expires: data.e, csrf: this.csrfFor(data.n) };
  }

  /** Revoke a session; returns the Set-Cookie value that clears the cookie. */
  revoke(s: Session): string {
    this.revoked.set(s.nonce, s.expires);
    if (this.revoked.size > 1000) {
      const now = Date.now();
      for (const [n, e] of this.revoked) if (e < now) this.revoked.delete(n);
    }
    return this.cookie(SESSION_COOKIE, '', 0);
  }

  /** True when `token` is the CSRF token of `s` (constant time). */
  checkCsrf(s: { csrf: string }, token: string | null | undefined): boolean {
    if (!token) return false;
    const a = Buffer.from(token);
    const b = Buffer.from(s.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The pre-login nonce a request carries (login form CSRF), or null. */
  preLogin(req: HttpRequest): string | null {
    const v = parseCookies(req.headers['cookie']).get(PRELOGIN_COOKIE);
    return v && /^[A-Za-z0-9_-]{16,64}$/.test(v) ? v : null;
  }

  /** A fresh pre-login nonce and its Set-Cookie value. */
  newPreLogin(): { nonce: string; cookie: string } {
    const nonce = b64(randomBytes(18));
    return { nonce, cookie: this.cookie(PRELOGIN_COOKIE, nonce, 3600) };
  }

  /**
   * The CSRF token for a form shown before login (login, register, public share pages): from the
   * request's pre-login nonce, or a fresh one whose Set-Cookie value comes back as `cookie`.
   */
  formToken(req: HttpRequest): { csrf: string; cookie?: string } {
    const nonce = this.preLogin(req);
    if (nonce) return { csrf: this.csrfFor(nonce) };
    const pre = this.newPreLogin();
    return { csrf: this.csrfFor(pre.nonce), cookie: pre.cookie };
  }

  /** A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure when TLS. */
  cookie(name: string, value: string, maxAge: number): string {
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${this.secure ? '; Secure' : ''}`;
  }
}
