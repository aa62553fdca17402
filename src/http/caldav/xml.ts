/**
 * DAV XML in and out (RFC 4918 / RFC 4791). Parsing uses fast-xml-parser with entity
 * processing off (no DOCTYPE accepted at all), a size cap, and our own namespace resolution so
 * every element is a (namespace, local name) pair. Output is built as text with fixed prefixes.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { HttpError } from '../../common/errors.js';

/** DAV: */
export const NS_DAV = 'DAV:';
/** urn:ietf:params:xml:ns:caldav */
export const NS_CALDAV = 'urn:ietf:params:xml:ns:caldav';
/** http://calendarserver.org/ns/ */
export const NS_CS = 'http://calendarserver.org/ns/';
/** http://apple.com/ns/ical/ */
export const NS_ICAL = 'http://apple.com/ns/ical/';

/** The largest DAV XML body accepted. */
export const XML_LIMIT = 1024 * 1024;

/** One element with its namespace resolved. */
export interface XNode {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Decode the five XML entities and character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Escape text for element content or attribute values (one pass; most calendar text has nothing to escape). */
export const esc = (s: string): string =>
  /[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ESCAPES[c]!) : s;

/** Parse a DAV XML body into its root element (400 with the reason for anything malformed). */
export function parseXml(body: Buffer | string): XNode {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.length > XML_LIMIT) throw new HttpError(413, 'XML body too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new HttpError(400, 'DOCTYPE and entity declarations are not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new HttpError(400, `Malformed XML: ${valid.err.msg}`);
  let raw: unknown[];
  try {
    raw = parser.parse(text) as unknown[];
  } catch (err) {
    throw new HttpError(400, `Malformed XML: ${(err as Error).message}`);
  }
  const roots = raw.map((r) => build(r as RawNode, {})).filter((n): n is XNode => n !== null);
  if (roots.length !== 1) throw new HttpError(400, 'Malformed XML: expected one root element');
  return roots[0]!;
}

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function build(raw: RawNode, scope: Record<string, string>): XNode | null {
  const tag = Object.keys(raw).find((k) => k !== ':@');
  if (!tag || tag === '#text' || tag.startsWith('?') || tag === '#comment') return null;
  const rawAttrs = raw[':@'] ?? {};
  const ns: Record<string, string> = { ...scope };
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns') ns[''] = decodeEntities(String(v));
    else if (k.startsWith('xmlns:')) ns[k.slice(6)] = decodeEntities(String(v));
    else attrs[k.includes(':') ? k.slice(k.indexOf(':') + 1) : k] = decodeEntities(String(v));
  }
  const colon = tag.indexOf(':');
  const prefix = colon >= 0 ? tag.slice(0, colon) : '';
  const uri = ns[prefix];
  if (uri === undefined && prefix !== '') throw new HttpError(400, `Malformed XML: undeclared prefix ${prefix}`);
  const node: XNode = { ns: uri ?? '', name: colon >= 0 ? tag.slice(colon + 1) : tag, attrs, children: [], text: '' };
  const kids = raw[tag];
  if (Array.isArray(kids)) {
    for (const k of kids as RawNode[]) {
      if ('#text' in k) node.text += decodeEntities(String(k['#text']));
      else {
        const child = build(k, ns);
        if (child) node.children.push(child);
      }
    }
  }
  return node;
}

/** The first child with this namespace and name. */
export const child = (n: XNode | undefined, ns: string, name: string): XNode | undefined =>
  n?.children.find((c) => c.ns === ns && c.name === name);

/** All children with this namespace and name. */
export const childrenOf = (n: XNode | undefined, ns: string, name: string): XNode[] =>
  n?.children.filter((c) => c.ns === ns && c.name === name) ?? [];

const PREFIX: Record<string, string> = { [NS_DAV]: 'D', [NS_CALDAV]: 'C', [NS_CS]: 'CS', [NS_ICAL]: 'I' };

/** The qualified output name of (ns, name), with an inline xmlns for unknown namespaces. */
export function qname(ns: string, name: string): { open: string; close: string } {
  const p = PREFIX[ns];
  if (p) return { open: `${p}:${name}`, close: `${p}:${name}` };
  return { open: `X:${name} xmlns:X="${esc(ns)}"`, close: `X:${name}` };
}

/** An element with inner XML (already escaped) or empty. */
export function el(ns: string, name: string, inner = ''): string {
  const q = qname(ns, name);
  return inner === '' ? `<${q.open}/>` : `<${q.open}>${inner}</${q.close}>`;
}

/** The XML declaration + root with every known namespace declared. */
export function document(ns: string, name: string, inner: string): string {
  const q = qname(ns, name);
  return `<?xml version="1.0" encoding="utf-8"?>\n<${q.open} xmlns:D="DAV:" xmlns:C="${NS_CALDAV}" xmlns:CS="${NS_CS}" xmlns:I="${NS_ICAL}">${inner}</${q.close}>`;
}

/** A property value for a propstat: element name + inner XML. */
export interface PropValue {
  ns: string;
  name: string;
  inner: string;
}

/** One multistatus response: found properties (200) and missing ones (404), or a bare status. */
export function response(href: string, found: PropValue[], missing: { ns: string; name: string }[] = [], status?: number): string {
  let inner = `<D:href>${esc(href)}</D:href>`;
  if (status !== undefined) inner += `<D:status>HTTP/1.1 ${status} ${reason(status)}</D:status>`;
  if (found.length > 0) {
    inner += `<D:propstat><D:prop>${found.map((p) => el(p.ns, p.name, p.inner)).join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`;
  }
  if (missing.length > 0) {
    inner += `<D:propstat><D:prop>${missing.map((p) => el(p.ns, p.name)).join('')}</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`;
  }
  return `<D:response>${inner}</D:response>`;
}

/** A propstat group with an arbitrary status (PROPPATCH). */
export function propstat(props: { ns: string; name: string }[], status: number): string {
  return `<D:propstat><D:prop>${props.map((p) => el(p.ns, p.name)).join('')}</D:prop><D:status>HTTP/1.1 ${status} ${reason(status)}</D:status></D:propstat>`;
}

/** The reason phrase of a status used in multistatus bodies. */
export function reason(status: number): string {
  return ({
    200: 'OK', 201: 'Created', 204: 'No Content', 207: 'Multi-Status', 403: 'Forbidden', 404: 'Not Found',
    409: 'Conflict', 412: 'Precondition Failed', 424: 'Failed Dependency', 507: 'Insufficient Storage',
  } as Record<number, string>)[status] ?? 'Unknown';
}

/** A DAV error body (RFC 4918 16): `<D:error><C:valid-calendar-data/></D:error>`. */
export function davError(ns: string, name: string, message = ''): string {
  return document(NS_DAV, 'error', el(ns, name) + (message ? `<D:responsedescription>${esc(message)}</D:responsedescription>` : ''));
}
