/**
 * WebDAV write locks on event resources (RFC 4918 6-9.10: DAV class 2). Exclusive write locks
 * kept in memory per process with a timeout; PUT and DELETE on a locked resource need the
 * lock token in the If header (else 423 Locked).
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '../../common/errors.js';

/** One active lock. */
export interface Lock {
  token: string;
  owner: string;
  ownerXml: string;
  depth: string;
  expires: number;
  timeout: number;
}

const MAX_TIMEOUT = 3600;

/** Locks by resource path. */
export class LockTable {
  private readonly locks = new Map<string, Lock>();

  /** The live lock on `path`, if any. */
  get(path: string): Lock | undefined {
    const l = this.locks.get(path);
    if (l && l.expires <= Date.now()) {
      this.locks.delete(path);
      return undefined;
    }
    return l;
  }

  /** Take a new exclusive lock (423 when someone else holds it). */
  lock(path: string, owner: string, ownerXml: string, timeoutHeader: string | undefined, depth: string): Lock {
    if (this.get(path)) throw new HttpError(423, 'Locked');
    const timeout = parseTimeout(timeoutHeader);
    const l: Lock = { token: `opaquelocktoken:${randomUUID()}`, owner, ownerXml, depth, timeout, expires: Date.now() + timeout * 1000 };
    this.locks.set(path, l);
    return l;
  }

  /** Refresh a lock named in the If header. */
  refresh(path: string, ifHeader: string | undefined, timeoutHeader: string | undefined): Lock {
    const l = this.get(path);
    if (!l || !ifHeader?.includes(l.token)) throw new HttpError(412, 'No matching lock to refresh');
    l.timeout = parseTimeout(timeoutHeader);
    l.expires = Date.now() + l.timeout * 1000;
    return l;
  }

  /** Remove a lock by token (409 when the token does not match). */
  unlock(path: string, tokenHeader: string | undefined): void {
    const l = this.get(path);
    const token = (tokenHeader ?? '').trim().replace(/^<|>$/g, '');
    if (!l || l.token !== token) throw new HttpError(409, 'Lock token does not match a lock on this resource');
    this.locks.delete(path);
  }

  /** Throw 423 unless `path` is unlocked or the If header carries its token. */
  check(path: string, ifHeader: string | undefined): void {
    const l = this.get(path);
    if (l && !(ifHeader ?? '').includes(l.token)) throw new HttpError(423, 'Locked');
  }

  /** Drop every lock (a deleted resource). */
  clear(path: string): void {
    this.locks.delete(path);
  }
}

function parseTimeout(h: string | undefined): number {
  const m = /Second-(\d+)/i.exec(h ?? '');
  if (m) return Math.max(1, Math.min(MAX_TIMEOUT, Number(m[1])));
  return MAX_TIMEOUT;
}
