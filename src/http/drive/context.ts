/**
 * Resolve a `/drive/...` request to the drive it acts on (reference.md "Drive", "Share access"):
 * a first segment shaped like a live share UID is public access to that share (no auth; the
 * `{name}` segment is decorative but validated; the disk path is always target_path +
 * DrivePath-validated subpath); anything else needs a principal (401) and is the caller's own
 * drive. Also: WebDAV lock/If checks and href building shared by every method.
 */
import { HttpError, NotFoundError } from '../../common/errors.js';
import { checkDrivePath, isShareUid } from '../../common/drive-path.js';
import { resolveShareTarget } from './public-link.js';
import { parseIfHeader, submittedTokens, type IfList } from '../../common/dav-if.js';
import { decodeSegments } from '../uws.js';
import type { ShareRecord } from '../../store/shares.js';
import type { ChildEntry } from '../../store/drive/types.js';
import { checkPreconditions, entryEtag, type Conditions, type EntryGuard } from '../../services/drive.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest } from '../types.js';

/** What a drive request acts on. */
export interface DriveTarget {
  /** The drive owner. */
  userId: string;
  /** Components in the owner's drive. */
  parts: string[];
  /** Components relative to the URL base (the share root for shares). */
  sub: string[];
  /** The URL prefix that `sub` hangs from: `/drive` or `/drive/{uid}/{name}`. */
  base: string;
  share?: ShareRecord;
}

/** Resolve the request's target (400 for a bad path, 401 without credentials, 404 for a dead share). */
export async function resolveTarget(req: HttpRequest, s: Services): Promise<DriveTarget> {
  const rest = req.rest;
  const first = rest[0];
  if (first !== undefined && isShareUid(first)) {
    const shared = await resolveShareTarget(rest, s);
    if (shared) return shared;
    if (!req.principal) throw new NotFoundError('Share not found');
  }
  if (!req.principal) throw new HttpError(401, req.headers['authorization'] ? 'Invalid credentials' : 'Authentication required');
  const parts = checkDrivePath(rest);
  return { userId: req.principal.id, parts, sub: parts, base: '/drive' };
}

/** 403 unless the target is the owner's own drive or the share grants `letter`. */
export function need(t: DriveTarget, letter: 'R' | 'C' | 'U' | 'D'): void {
  if (t.share && !t.share.permissions.includes(letter)) {
    throw new HttpError(403, `This share does not allow this (needs ${letter})`);
  }
}

/** 403 for operations never allowed through a share link. */
export function ownerOnly(t: DriveTarget, what: string): void {
  if (t.share) throw new HttpError(403, `${what} is not allowed on shared resources`);
}

/** The URL path of `sub` under the target's base (each segment percent-encoded). */
export function hrefOf(t: DriveTarget, sub: readonly string[], dir: boolean): string {
  const path = [t.base, ...sub.map(encodeURIComponent)].join('/');
  return dir ? `${path}/` : path;
}

/**
 * The still-encoded path of an absolute URL or absolute path, without scheme, host, query or
 * fragment. Not `new URL()`: it would resolve `%2e%2e` before DrivePath could refuse it.
 */
export function urlPath(raw: string): string {
  const noHost = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  if (!noHost.startsWith('/')) throw new HttpError(400, 'Expected an absolute URL or path');
  return noHost.replace(/[?#].*$/, '');
}

/** The owner-drive components named by a Destination header (400 when it is not under /drive/). */
export function destinationOf(req: HttpRequest): string[] {
  const raw = req.headers['destination'];
  if (!raw) throw new HttpError(400, 'Destination header required');
  const segs = decodeSegments(urlPath(raw));
  if (segs[0] !== 'drive') throw new HttpError(502, 'Destination is not on this drive');
  return checkDrivePath(segs.slice(1));
}

/** The Overwrite header (RFC 4918 §10.6): T (the default) or F; anything else is a 400. */
export function overwriteOf(req: HttpRequest): boolean {
  const v = (req.headers['overwrite'] ?? 'T').trim().toUpperCase();
  if (v !== 'T' && v !== 'F') throw new HttpError(400, 'Overwrite must be T or F');
  return v === 'T';
}

/** The request's RFC 9110 conditional headers. */
export function conditionsOf(req: HttpRequest): Conditions {
  const h = req.headers;
  return { ifMatch: h['if-match'], ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'], ifUnmodifiedSince: h['if-unmodified-since'] };
}

/**
 * The guard a write (DELETE, MOVE, COPY, PROPPATCH) hands the drive service so that If-Match,
 * If-None-Match and If-Unmodified-Since are evaluated against the entry in the same actor turn
 * as the change (412 when false); undefined when the request has none.
 */
export function writeGuard(req: HttpRequest): EntryGuard | undefined {
  const c = conditionsOf(req);
  if (c.ifMatch === undefined && c.ifNoneMatch === undefined && c.ifUnmodifiedSince === undefined) return undefined;
  return (entry) => checkPreconditions(entry, c);
}

/** Parsed If header (undefined when absent). */
export function ifLists(req: HttpRequest): IfList[] | undefined {
  const h = req.headers['if'];
  return h === undefined ? undefined : parseIfHeader(h);
}

/** The lock tokens the client submitted (If header state tokens and Lock-Token). */
export function tokensOf(req: HttpRequest): Set<string> {
  const lists = ifLists(req);
  const out = lists ? submittedTokens(lists) : new Set<string>();
  const lt = req.headers['lock-token'];
  if (lt) out.add(lt.trim().replace(/^<|>$/g, ''));
  return out;
}

/**
 * Enforce the If header and WebDAV locks for a write to `parts` (and everything under it when
 * `recursive`): 412 when the If header evaluates false, then 423 when a lock applies whose
 * token was not submitted. The parent's own lock counts only when its membership changes: a
 * member created (nothing at `parts` yet) or removed / replaced (the recursive writes: DELETE,
 * MOVE, COPY's destination); overwriting or PROPPATCHing an existing member does not touch a
 * depth-0 lock on its folder (RFC 4918 §7.5).
 */
export async function checkWrite(req: HttpRequest, s: Services, t: DriveTarget, parts: readonly string[], recursive: boolean): Promise<void> {
  await checkIf(req, s, t, parts);
  const path = parts.join('/');
  const tokens = tokensOf(req);
  s.drive.locks.assertWritable(t.userId, path, tokens, recursive);
  if (parts.length === 0) return;
  const parent = parts.slice(0, -1).join('/');
  if (s.drive.locks.covering(t.userId, parent).length === 0) return;
  if (recursive || !(await s.drive.stat(t.userId, parts))) s.drive.locks.assertWritable(t.userId, parent, tokens, false);
}

/** 412 unless the If header (when present) has a list that is true. */
export async function checkIf(req: HttpRequest, s: Services, t: DriveTarget, parts: readonly string[]): Promise<void> {
  const lists = ifLists(req);
  if (!lists) return;
  const entry = await s.drive.stat(t.userId, parts);
  for (const list of lists) {
    let target = parts;
    let e: ChildEntry | undefined = entry;
    if (list.resource !== undefined) {
      try {
        const segs = decodeSegments(urlPath(list.resource));
        target = segs[0] === 'drive' ? checkDrivePath(segs.slice(1)) : [];
      } catch {
        continue;
      }
      e = await s.drive.stat(t.userId, target);
    }
    const held = new Set(s.drive.locks.covering(t.userId, target.join('/')).map((l) => l.token));
    const etag = e ? entryEtag(e) : undefined;
    const ok = list.conditions.every((c) => {
      const hit = c.token !== undefined ? held.has(c.token) : c.etag === etag;
      return c.not ? !hit : hit;
    });
    if (ok) return;
  }
  throw new HttpError(412, 'Precondition failed (If header)');
}
