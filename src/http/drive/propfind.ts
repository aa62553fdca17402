/**
 * PROPFIND /drive/{path}: JSON by default (CONTRACT.md: a directory's listing with totals and
 * children, a file's metadata); RFC 4918 §9.1 207 multistatus for a WebDAV client (allprop,
 * propname, prop; Depth 0 or 1; dead properties included; the RFC 4331 quota properties when
 * named). A WebDAV client is one that sends an XML body, asks for XML in Accept or labels its
 * (empty) body as XML (issue 7's rule), or is rclone: its WebDAV backend (vendor "other") sends
 * PROPFIND with Depth, no body and no Accept (§9.1: an empty body is allprop) and cannot read
 * JSON. Any other request without a body gets JSON (CONTRACT.md), also from clients that send no
 * Accept (node:http, Python's urllib).
 */
import { HttpError, NotFoundError } from '../../common/errors.js';
import { joinDrivePath } from '../../common/drive-path.js';
import { json } from '../reply.js';
import { resolveTarget, need, hrefOf, type DriveTarget } from './context.js';
import { entryEtag } from '../../services/drive.js';
import { parseXml, child, elements, clark, multistatus, esc, XML_TYPE, type DavResponse, type PropValue } from './xml.js';
import { activeLockXml } from './lock.js';
import type { ChildEntry } from '../../store/drive/types.js';
import type { Services } from '../../services/index.js';
import type { QuotaUsage } from '../../services/quota.js';
import type { HttpRequest, Reply } from '../types.js';

const D = (local: string) => clark('DAV:', local);
const DISPLAYNAME = D('displayname');
const LIVE = ['resourcetype', 'displayname', 'getetag', 'getlastmodified', 'creationdate', 'getcontentlength', 'getcontenttype', 'supportedlock', 'lockdiscovery'].map(D);

/** RFC 4331 quota properties: returned only when asked for by name, on the owner's collections. */
const QUOTA = [D('quota-available-bytes'), D('quota-used-bytes')];

/** Which properties a PROPFIND asked for (with the owner's quota use when a quota property is asked for). */
type Want = { kind: 'allprop' } | { kind: 'propname' } | { kind: 'prop'; keys: string[]; quota?: QuotaUsage };

/** PROPFIND. */
export async function propfindHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  need(t, 'R');
  const body = (await req.body(256 * 1024)).toString('utf8');
  const want = body.trim() !== '' || wantsXml(req) ? parseWant(body) : undefined;
  const e = await s.drive.stat(t.userId, t.parts);
  if (!e) throw new NotFoundError('Not found');
  if (!want) {
    if (e.type === 'file') {
      const info = await s.drive.fileInfo(t.userId, t.parts);
      return json(200, { ...info, path: joinDrivePath(t.sub) });
    }
    const listing = await s.drive.list(t.userId, t.parts);
    listing.path = joinDrivePath(t.sub);
    return json(200, listing);
  }
  const depth = (req.headers['depth'] ?? 'infinity').trim().toLowerCase();
  if (depth !== '0' && depth !== '1' && depth !== 'infinity') throw new HttpError(400, 'Depth must be 0, 1 or infinity');
  if (depth === 'infinity') {
    return { status: 403, headers: { 'content-type': XML_TYPE }, body: '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>' };
  }
  // Never through a share link: a visitor learns nothing of the owner's account.
  if (want.kind === 'prop' && !t.share && want.keys.some((k) => QUOTA.includes(k))) want.quota = await s.quota.usage(t.userId);
  const responses: DavResponse[] = [respond(s, t, t.sub, t.parts, e, want)];
  if (depth === '1' && e.type === 'dir') {
    const idx = await s.drive.index(t.userId, t.parts);
    for (const [name, ce] of Object.entries(idx?.children ?? {})) {
      responses.push(respond(s, t, [...t.sub, name], [...t.parts, name], ce, want));
    }
  }
  return { status: 207, headers: { 'content-type': XML_TYPE }, body: multistatus(responses) };
}

/** True when a request without a body still comes from a WebDAV client (see the file comment). */
function wantsXml(req: HttpRequest): boolean {
  const accept = (req.headers['accept'] ?? '').trim();
  if (/\b(application|text)\/xml\b/.test(accept) || /\bxml\b/.test(req.headers['content-type'] ?? '')) return true;
  return accept === '' && req.headers['depth'] !== undefined && /^rclone\//i.test(req.headers['user-agent'] ?? '');
}

function parseWant(body: string): Want {
  if (body.trim() === '') return { kind: 'allprop' };
  const root = parseXml(body);
  if (root.ns !== 'DAV:' || root.local !== 'propfind') throw new HttpError(400, 'PROPFIND body must be DAV:propfind');
  if (child(root, 'DAV:', 'propname')) return { kind: 'propname' };
  const prop = child(root, 'DAV:', 'prop');
  if (prop) return { kind: 'prop', keys: elements(prop).map((p) => clark(p.ns, p.local)) };
  if (child(root, 'DAV:', 'allprop')) return { kind: 'allprop' };
  throw new HttpError(400, 'PROPFIND body needs prop, propname or allprop');
}

function liveValue(s: Services, t: DriveTarget, parts: string[], name: string, e: ChildEntry, key: string, quota?: QuotaUsage): string | undefined {
  switch (key) {
    // RFC 4331: the bytes counted against the user's quota (mail + drive) and what is left of it.
    case D('quota-used-bytes'): return e.type === 'dir' && quota ? String(quota.used) : undefined;
    case D('quota-available-bytes'): return e.type === 'dir' && quota ? String(Math.max(0, quota.limit - quota.used)) : undefined;
    case D('resourcetype'): return e.type === 'dir' ? '<D:collection/>' : '';
    case D('displayname'): return esc(name);
    case D('getetag'): return esc(entryEtag(e));
    case D('getlastmodified'): return new Date(e.mtime * 1000).toUTCString();
    case D('creationdate'): return new Date(e.mtime * 1000).toISOString();
    case D('getcontentlength'): return e.type === 'file' ? String(e.size) : undefined;
    case D('getcontenttype'): return e.type === 'file' ? esc(e.content_type) : undefined;
    case D('supportedlock'):
      return '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';
    case D('lockdiscovery'):
      return s.drive.locks.covering(t.userId, parts.join('/'))
        // A lock rooted above this entry is on a collection; one rooted here is on this entry.
        .map((l) => activeLockXml(l, hrefOf(t, l.path.split('/').filter(Boolean).slice(t.parts.length - t.sub.length), l.path !== parts.join('/') || e.type === 'dir'))).join('');
    default: return undefined;
  }
}

function respond(s: Services, t: DriveTarget, sub: string[], parts: string[], e: ChildEntry, want: Want): DavResponse {
  const name = parts[parts.length - 1] ?? '';
  const dead = e.props ?? {};
  const href = hrefOf(t, sub, e.type === 'dir');
  const deadOnly = Object.keys(dead).filter((k) => !LIVE.includes(k));
  if (want.kind === 'propname') {
    const keys = [...LIVE.filter((k) => dead[k] !== undefined || liveValue(s, t, parts, name, e, k) !== undefined), ...deadOnly];
    return { href, propstats: [{ status: 200, props: keys.map((key) => ({ key, xml: '' })) }] };
  }
  const keys = want.kind === 'allprop' ? [...LIVE, ...deadOnly] : want.keys;
  const found: PropValue[] = [];
  const missing: PropValue[] = [];
  for (const key of keys) {
    // A client-set DAV:displayname (§15.2, not protected) wins over the computed one.
    const quota = want.kind === 'prop' ? want.quota : undefined;
    const v = key === DISPLAYNAME ? dead[key] ?? liveValue(s, t, parts, name, e, key) : key.startsWith('{DAV:}') ? liveValue(s, t, parts, name, e, key, quota) ?? dead[key] : dead[key];
    if (v !== undefined) found.push({ key, xml: v });
    else if (want.kind === 'prop') missing.push({ key, xml: '' });
  }
  return { href, propstats: [{ status: 200, props: found }, { status: 404, props: missing }] };
}
