/**
 * LOCK and UNLOCK (RFC 4918 9.10, 9.11) on event resources: exclusive write locks, refresh via
 * the If header, Lock-Token on success. Collections are not lockable here (403).
 */
import { HttpError } from '../../common/errors.js';
import type { MethodHandler } from './context.js';
import { DAV_HEADER } from './context.js';
import { NS_DAV, XML_LIMIT, child, document, esc, parseXml } from './xml.js';
import { eventHref } from './target.js';
import type { Lock } from './locks.js';

/** The inner XML of DAV:lockdiscovery for one lock. */
export function lockDiscovery(l: Lock, href: string): string {
  return `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>`
    + `<D:depth>${l.depth}</D:depth>${l.ownerXml ? `<D:owner>${l.ownerXml}</D:owner>` : ''}`
    + `<D:timeout>Second-${l.timeout}</D:timeout><D:locktoken><D:href>${esc(l.token)}</D:href></D:locktoken>`
    + `<D:lockroot><D:href>${esc(href)}</D:href></D:lockroot></D:activelock>`;
}

/** LOCK handler. */
export const lock: MethodHandler = async (ctx, req, target, p) => {
  if (target.kind !== 'event') throw new HttpError(403, 'Only calendar resources can be locked');
  const href = eventHref(p, target.cal, target.name);
  const body = await req.body(XML_LIMIT);
  let l: Lock;
  if (body.toString('utf8').trim() === '') {
    l = ctx.locks.refresh(href, req.headers['if'], req.headers['timeout']);
  } else {
    const root = parseXml(body);
    if (root.ns !== NS_DAV || root.name !== 'lockinfo') throw new HttpError(400, 'Expected DAV:lockinfo');
    if (child(child(root, NS_DAV, 'lockscope'), NS_DAV, 'shared')) throw new HttpError(412, 'Only exclusive locks are supported');
    const owner = child(root, NS_DAV, 'owner');
    const ownerText = owner ? (child(owner, NS_DAV, 'href')?.text ?? owner.text).trim() : '';
    const ownerXml = ownerText ? (child(owner, NS_DAV, 'href') ? `<D:href>${esc(ownerText)}</D:href>` : esc(ownerText)) : '';
    l = ctx.locks.lock(href, p.id, ownerXml, req.headers['timeout'], '0');
  }
  const exists = !!(await ctx.calendars.read(p.id, target.cal, target.name));
  return {
    status: exists ? 200 : 201,
    headers: { 'content-type': 'application/xml; charset=utf-8', 'lock-token': `<${l.token}>`, dav: DAV_HEADER },
    body: document(NS_DAV, 'prop', `<D:lockdiscovery>${lockDiscovery(l, href)}</D:lockdiscovery>`),
  };
};

/** UNLOCK handler. */
export const unlock: MethodHandler = async (ctx, req, target, p) => {
  if (target.kind !== 'event') throw new HttpError(403, 'Only calendar resources can be locked');
  ctx.locks.unlock(eventHref(p, target.cal, target.name), req.headers['lock-token']);
  return { status: 204, headers: { dav: DAV_HEADER } };
};
