/**
 * PROPPATCH /drive/{path} (RFC 4918 §9.2): set and remove dead properties, in document order,
 * atomically, each with the xml:lang in scope (§14.26); live DAV: properties are protected (403, the rest 424). Properties are stored in
 * the entry's `props` in its directory's `_index.json`. Owner, or a share with U.
 */
import { HttpError, NotFoundError } from '../../common/errors.js';
import { resolveTarget, need, hrefOf, checkWrite, writeGuard } from './context.js';
import { parseXml, elements, clark, serialize, storedValue, multistatus, XML_TYPE, type PropValue } from './xml.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

const PROTECTED = new Set(['resourcetype', 'getetag', 'getlastmodified', 'creationdate', 'getcontentlength', 'getcontenttype', 'supportedlock', 'lockdiscovery']);
const MAX_PROPS = 256;
const MAX_VALUE = 64 * 1024;

/** PROPPATCH. */
export async function proppatchHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  need(t, 'U');
  const root = parseXml((await req.body(1024 * 1024)).toString('utf8'));
  if (root.ns !== 'DAV:' || root.local !== 'propertyupdate') throw new HttpError(400, 'PROPPATCH body must be DAV:propertyupdate');
  const e = await s.drive.stat(t.userId, t.parts);
  if (!e) throw new NotFoundError('Not found');
  await checkWrite(req, s, t, t.parts, false);
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const all: PropValue[] = [];
  const bad: PropValue[] = [];
  for (const op of elements(root)) {
    if (op.ns !== 'DAV:' || (op.local !== 'set' && op.local !== 'remove')) continue;
    for (const propEl of elements(op).filter((p) => p.ns === 'DAV:' && p.local === 'prop')) {
      for (const p of elements(propEl)) {
        // xml:lang is inherited (§4.3): the nearest one from the property element up.
        const lang = [p, propEl, op, root].map((el) => el.attrs['xml:lang']).find((l) => l !== undefined);
        const key = clark(p.ns, p.local);
        all.push({ key, xml: '' });
        if (p.ns === 'DAV:' && PROTECTED.has(p.local)) {
          bad.push({ key, xml: '' });
          continue;
        }
        if (op.local === 'set') {
          const value = storedValue(serialize(p.children), lang);
          if (value.length > MAX_VALUE) throw new HttpError(413, 'Property value too large');
          set[key] = value;
          const i = remove.indexOf(key);
          if (i >= 0) remove.splice(i, 1);
        } else {
          delete set[key];
          remove.push(key);
        }
      }
    }
  }
  const href = hrefOf(t, t.sub, e.type === 'dir');
  if (bad.length > 0) {
    const rest = all.filter((p) => !bad.some((b) => b.key === p.key));
    return { status: 207, headers: { 'content-type': XML_TYPE }, body: multistatus([{ href, propstats: [{ status: 403, props: bad }, { status: 424, props: rest }] }]) };
  }
  if (Object.keys({ ...(e.props ?? {}), ...set }).length > MAX_PROPS) throw new HttpError(507, 'Too many properties');
  await s.drive.setProps(t.userId, t.parts, set, remove, writeGuard(req));
  const seen = new Set<string>();
  const props = all.filter((p) => !seen.has(p.key) && seen.add(p.key));
  return { status: 207, headers: { 'content-type': XML_TYPE }, body: multistatus([{ href, propstats: [{ status: 200, props }] }]) };
}
