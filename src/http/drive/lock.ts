/**
 * LOCK /drive/{path} (RFC 4918 §9.10, class 2): a `lockinfo` body takes a new exclusive or
 * shared write lock (Depth 0 or infinity; an unmapped URL gets an empty file, 201); no body
 * refreshes the lock named in the If header. Replies with the lockdiscovery and Lock-Token.
 * Owner only (share links cannot lock).
 */
import { HttpError } from '../../common/errors.js';
import { resolveTarget, ownerOnly, tokensOf, hrefOf } from './context.js';
import { parseXml, child, serialize, esc, XML_TYPE } from './xml.js';
import { Readable } from 'node:stream';
import type { DavLock } from '../../services/drive/locks.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** Parse `Timeout: Second-N, Infinite` (default 3600 s). */
export function parseTimeout(h: string | undefined): number {
  if (!h) return 3600;
  for (const part of h.split(',')) {
    const v = part.trim();
    if (/^infinite$/i.test(v)) return 3600;
    const m = /^second-(\d+)$/i.exec(v);
    if (m) return Number(m[1]);
  }
  return 3600;
}

/** `<D:activelock>` for one lock. */
export function activeLockXml(l: DavLock, root: string): string {
  return `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.scope}/></D:lockscope>` +
    `<D:depth>${l.depth === '0' ? '0' : 'infinity'}</D:depth>${l.owner ? `<D:owner>${l.owner}</D:owner>` : ''}` +
    `<D:timeout>Second-${Math.max(0, Math.round((l.expires - Date.now()) / 1000))}</D:timeout>` +
    `<D:locktoken><D:href>${esc(l.token)}</D:href></D:locktoken><D:lockroot><D:href>${esc(root)}</D:href></D:lockroot></D:activelock>`;
}

const discovery = (l: DavLock, root: string): string =>
  `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(l, root)}</D:lockdiscovery></D:prop>`;

/** LOCK. */
export async function lockHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  ownerOnly(t, 'LOCK');
  const path = t.parts.join('/');
  const body = (await req.body(64 * 1024)).toString('utf8');
  const timeoutS = parseTimeout(req.headers['timeout']);
  const entry = await s.drive.stat(t.userId, t.parts);
  const href = hrefOf(t, t.sub, entry?.type === 'dir');
  if (body.trim() === '') {
    const tokens = [...tokensOf(req)];
    if (tokens.length === 0) throw new HttpError(400, 'LOCK refresh needs an If header with the lock token');
    let lock: DavLock | undefined;
    for (const tok of tokens) {
      try {
        lock = s.drive.locks.refresh(t.userId, path, tok, timeoutS);
        break;
      } catch { /* try the next token */ }
    }
    if (!lock) throw new HttpError(412, 'No matching lock to refresh');
    const rootIsDir = lock.path !== path || entry?.type === 'dir';
    return { status: 200, headers: { 'content-type': XML_TYPE }, body: discovery(lock, hrefOf(t, lock.path.split('/').filter(Boolean), rootIsDir)) };
  }
  const info = parseXml(body);
  if (info.ns !== 'DAV:' || info.local !== 'lockinfo') throw new HttpError(400, 'LOCK body must be DAV:lockinfo');
  const scopeEl = child(info, 'DAV:', 'lockscope');
  const shared = scopeEl !== undefined && child(scopeEl, 'DAV:', 'shared') !== undefined;
  const ownerEl = child(info, 'DAV:', 'owner');
  const depthH = (req.headers['depth'] ?? 'infinity').trim().toLowerCase();
  if (depthH !== '0' && depthH !== 'infinity') throw new HttpError(400, 'Depth must be 0 or infinity');
  if (!entry) {
    const parent = await s.drive.stat(t.userId, t.parts.slice(0, -1));
    if (parent?.type !== 'dir') throw new HttpError(409, 'Parent collection does not exist');
    // The empty file a lock on an unmapped URL creates is a new member of its folder (§7.3, §7.5).
    s.drive.locks.assertWritable(t.userId, t.parts.slice(0, -1).join('/'), tokensOf(req), false);
  }
  const lock = s.drive.locks.create(t.userId, path, {
    depth: entry?.type === 'dir' ? depthH as '0' | 'infinity' : '0',
    scope: shared ? 'shared' : 'exclusive',
    owner: ownerEl ? serialize(ownerEl.children) : '',
    timeoutS,
  });
  let status = 200;
  if (!entry) {
    try {
      await s.drive.upload(t.userId, t.parts, Readable.from([]), { parents: false });
    } catch (err) {
      s.drive.locks.unlock(t.userId, path, lock.token);
      throw err;
    }
    status = 201;
  }
  return { status, headers: { 'content-type': XML_TYPE, 'lock-token': `<${lock.token}>` }, body: discovery(lock, href) };
}
