/** Password checks, JWT tokens, Basic-auth cache, the auth-failure lockout and per-IP rate limits. */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import type { AccountService } from './accounts.js';
import { verifyPassword } from './passwords.js';
import { splitAddress, accountId } from '../common/names.js';
import { HttpError } from '../common/errors.js';
import type { Config } from '../common/types.js';

/** An authenticated user. */
export interface Principal {
  id: string;
  user: string;
  domain: string;
  admin: boolean;
}

/** Why a credential check failed. */
export type AuthFailure = 'locked' | 'bad-credentials' | 'disabled';

const BASIC_CACHE_MS = 60_000;

/** Auth for every protocol: HTTP, IMAP and SMTP call the same checks and share the lockout. */
export class AuthService {
  private readonly secret: Uint8Array;
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();
  private readonly basicCache = new Map<string, { id: string; expires: number }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Tokens already verified: signature checks are deterministic, so only expiry is re-checked. */
  private readonly verified = new Map<string, { sub: string; exp: number }>();

  constructor(
    private readonly config: Config,
    private readonly accounts: AccountService,
  ) {
    const s = config.exchange_api.token_secret;
    this.secret = s ? Buffer.from(s, 'utf8') : randomBytes(32);
  }

  /** True when `ip` is exempt from rate limits and lockout. */
  whitelisted(ip: string): boolean {
    return this.config.rate_limit.whitelist.includes(ip);
  }

  /** True while `ip` is locked out after too many auth failures. */
  isLocked(ip: string): boolean {
    if (!this.config.rate_limit.enabled || this.whitelisted(ip)) return false;
    const f = this.failures.get(ip);
    return !!f && f.lockedUntil > Date.now();
  }

  /** Record one failed attempt from `ip`. */
  recordFailure(ip: string): void {
    if (!this.config.rate_limit.enabled || this.whitelisted(ip)) return;
    const now = Date.now();
    const f = this.failures.get(ip) ?? { count: 0, lockedUntil: 0 };
    if (f.lockedUntil && f.lockedUntil <= now) {
      f.count = 0;
      f.lockedUntil = 0;
    }
    f.count += 1;
    if (f.count >= this.config.rate_limit.auth_failures_before_lockout) {
      f.lockedUntil = now + this.config.rate_limit.lockout_s * 1000;
    }
    this.failures.set(ip, f);
  }

  /** Forget failures of `ip` after a success. */
  recordSuccess(ip: string): void {
    this.failures.delete(ip);
  }

  /**
   * Per-IP request budget (token bucket, `requests_per_minute`). Returns false when the
   * request should be refused with 429.
   */
  allowRequest(ip: string): boolean {
    if (!this.config.rate_limit.enabled || this.whitelisted(ip)) return true;
    const rate = this.config.rate_limit.requests_per_minute;
    const now = Date.now();
    const b = this.buckets.get(ip) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 60_000);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(ip, b);
      return false;
    }
    b.tokens -= 1;
    this.buckets.set(ip, b);
    if (this.buckets.size > 100_000) this.buckets.clear();
    return true;
  }

  /** Split a login name: `alice@example.com`, or `alice` with `domain` or the first configured domain. */
  parseLogin(username: string, domain?: string): { user: string; domain: string } | null {
    if (username.includes('@')) return splitAddress(username);
    const d = (domain ?? this.defaultDomain()).toLowerCase();
    return { user: username.toLowerCase(), domain: d };
  }

  /** The domain assumed for bare usernames: the first configured one other than localhost. */
  defaultDomain(): string {
    return this.config.domains.find((d) => d !== 'localhost') ?? 'localhost';
  }

  /**
   * Check a username/password from `ip`, honouring the lockout. Returns the principal or the
   * failure. Every protocol calls this one function.
   */
  async checkPassword(username: string, password: string, ip: string, domain?: string): Promise<Principal | AuthFailure> {
    if (this.isLocked(ip)) return 'locked';
    const login = this.parseLogin(username, domain);
    const rec = login ? await this.accounts.get(login.user, login.domain) : undefined;
    const ok = rec ? await verifyPassword(password, rec.password_hash) : false;
    if (!rec || !ok) {
      this.recordFailure(ip);
      return 'bad-credentials';
    }
    if (!rec.enabled) return 'disabled';
    this.recordSuccess(ip);
    return { id: accountId(rec.username, rec.domain), user: rec.username, domain: rec.domain, admin: rec.admin };
  }

  /** Issue an HS256 JWT for a principal. */
  async issueToken(p: Principal): Promise<{ token: string; expires_in: number }> {
    const ttl = this.config.exchange_api.token_ttl_s;
    const token = await new SignJWT({ u: p.user, d: p.domain })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(p.id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(this.secret);
    return { token, expires_in: ttl };
  }

  /** Verify a JWT (HS256 only) and load the current account; null when invalid or expired. */
  async verifyToken(token: string): Promise<Principal | null> {
    const now = Math.floor(Date.now() / 1000);
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp > now) return this.currentPrincipal(hit.sub);
      this.verified.delete(token);
      return null;
    }
    let sub: string | undefined;
    let exp: number | undefined;
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'] });
      sub = payload.sub;
      exp = payload.exp;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return null;
      throw err;
    }
    if (!sub) return null;
    if (exp !== undefined) {
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, { sub, exp });
    }
    return this.currentPrincipal(sub);
  }

  /** The principal for `user@domain` as the account is now (null when gone). Disabled: 403. */
  async currentPrincipal(id: string): Promise<Principal | null> {
    const a = splitAddress(id);
    if (!a) return null;
    const rec = await this.accounts.get(a.user, a.domain);
    if (!rec) return null;
    if (!rec.enabled) throw new HttpError(403, 'Account disabled');
    return { id, user: rec.username, domain: rec.domain, admin: rec.admin };
  }

  /**
   * Resolve an Authorization header (Bearer JWT or Basic user@domain:password) to a principal.
   * Returns null when absent or invalid; throws 429 while the IP is locked out, 403 for a
   * disabled account. Successful Basic checks are cached for a minute by credential hash.
   */
  async authenticate(header: string | undefined, ip: string): Promise<Principal | null> {
    if (!header) return null;
    const space = header.indexOf(' ');
    const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
    const value = space > 0 ? header.slice(space + 1).trim() : '';
    if (scheme === 'bearer') {
      if (this.isLocked(ip)) throw new HttpError(429, 'Too many failed attempts');
      const p = await this.verifyToken(value);
      if (!p) this.recordFailure(ip);
      return p;
    }
    if (scheme === 'basic') {
      const key = createHash('sha256').update(value).digest('base64');
      const hit = this.basicCache.get(key);
      if (hit && hit.expires > Date.now()) return this.currentPrincipal(hit.id);
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return null;
      const result = await this.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1), ip);
      if (result === 'locked') throw new HttpError(429, 'Too many failed attempts');
      if (result === 'disabled') throw new HttpError(403, 'Account disabled');
      if (result === 'bad-credentials') return null;
      if (this.basicCache.size > 10_000) this.basicCache.clear();
      this.basicCache.set(key, { id: result.id, expires: Date.now() + BASIC_CACHE_MS });
      return result;
    }
    return null;
  }

  /** Drop cached Basic credentials (after a password change or deletion). */
  forgetCredentials(): void {
    this.basicCache.clear();
  }
}
