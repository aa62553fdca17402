/**
 * WebDAV class 2 locks on drive resources (RFC 4918 §6-7), kept in memory per process: a lock
 * is advisory state that lapses on its timeout, so a restart simply drops them. Paths are the
 * `a/b/c` join of DrivePath components ('' is the root).
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '../../common/errors.js';

/** One active lock. */
export interface DavLock {
  token: string;
  userId: string;
  /** The lock root (`a/b`). */
  path: string;
  depth: '0' | 'infinity';
  scope: 'exclusive' | 'shared';
  /** The client's DAV:owner element, kept verbatim as XML. */
  owner: string;
  timeoutS: number;
  expires: number;
}

const MAX_TIMEOUT_S = 3600;

/** True when `p` is `root` or below it. */
export const isWithin = (p: string, root: string): boolean => root === '' || p === root || p.startsWith(`${root}/`);

/** Lock table. */
export class DriveLocks {
  private readonly byToken = new Map<string, DavLock>();

  private live(userId: string): DavLock[] {
    const now = Date.now();
    const out: DavLock[] = [];
    for (const [t, l] of this.byToken) {
      if (l.expires <= now) this.byToken.delete(t);
      else if (l.userId === userId) out.push(l);
    }
    return out;
  }

  /** Locks that apply to `path`: rooted there, or depth-infinity on an ancestor. */
  covering(userId: string, path: string): DavLock[] {
    return this.live(userId).filter((l) => l.path === path || (l.depth === 'infinity' && isWithin(path, l.path)));
  }

  /** Locks rooted at or below `path`. */
  within(userId: string, path: string): DavLock[] {
    return this.live(userId).filter((l) => isWithin(l.path, path));
  }

  /** The lock with this token, if live. */
  get(token: string): DavLock | undefined {
    const l = this.byToken.get(token);
    if (l && l.expires <= Date.now()) {
      this.byToken.delete(token);
      return undefined;
    }
    return l;
  }

  /** Take a new lock; 423 when it conflicts with an existing one. */
  create(userId: string, path: string, opts: { depth: '0' | 'infinity'; scope: 'exclusive' | 'shared'; owner: string; timeoutS: number }): DavLock {
    const others = [...this.covering(userId, path), ...(opts.depth === 'infinity' ? this.within(userId, path) : [])];
    if (others.some((l) => l.scope === 'exclusive' || opts.scope === 'exclusive')) throw new HttpError(423, 'Resource is locked');
    const timeoutS = Math.min(Math.max(opts.timeoutS, 1), MAX_TIMEOUT_S);
    const lock: DavLock = { token: `opaquelocktoken:${randomUUID()}`, userId, path, ...opts, timeoutS, expires: Date.now() + timeoutS * 1000 };
    this.byToken.set(lock.token, lock);
    return lock;
  }

  /** Refresh a lock that applies to `path`; 412 when the token does not. */
  refresh(userId: string, path: string, token: string, timeoutS: number): DavLock {
    const l = this.get(token);
    if (!l || l.userId !== userId || !this.covering(userId, path).includes(l)) throw new HttpError(412, 'Lock token does not match');
    l.timeoutS = Math.min(Math.max(timeoutS, 1), MAX_TIMEOUT_S);
    l.expires = Date.now() + l.timeoutS * 1000;
    return l;
  }

  /** Remove a lock that applies to `path`; 409 when the token does not. */
  unlock(userId: string, path: string, token: string): void {
    const l = this.get(token);
    if (!l || l.userId !== userId || !this.covering(userId, path).includes(l)) throw new HttpError(409, 'Lock token does not match the request URI');
    this.byToken.delete(token);
  }

  /**
   * 423 unless every lock on `path` (and, for `recursive` writes such as DELETE or MOVE of a
   * collection, every lock below it) has its token among `tokens`. Shared locks on one resource
   * are one gate: a token of any of them opens it (RFC 4918 §6.2: any principal holding one of
   * the shared locks may use the resource).
   */
  assertWritable(userId: string, path: string, tokens: ReadonlySet<string>, recursive: boolean): void {
    const locks = [...this.covering(userId, path), ...(recursive ? this.within(userId, path) : [])];
    for (const l of locks) {
      if (tokens.has(l.token)) continue;
      const resource = l.path !== path && isWithin(l.path, path) ? l.path : path;
      if (l.scope === 'shared' && this.covering(userId, resource).some((o) => o.scope === 'shared' && tokens.has(o.token))) continue;
      throw new HttpError(423, 'Resource is locked');
    }
  }

  /** Drop locks at or below `parts` (after a delete or move). */
  dropUnder(userId: string, parts: readonly string[]): void {
    const path = parts.join('/');
    for (const l of this.within(userId, path)) this.byToken.delete(l.token);
  }
}
