/**
 * DAV XML for the drive (RFC 4918 §14): a namespace-aware parse of request bodies on top of
 * fast-xml-parser (validated first, DOCTYPE/entities refused, size-limited by the caller) and
 * the builders of 207 multistatus replies. Pure.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { HttpError } from '../../common/errors.js';

/** An element with its namespace resolved. */
export interface XmlElement {
  ns: string;
  local: string;
  children: XmlNode[];
  /** Namespace bindings in scope at this element (prefix -> uri; '' is the default). */
  scope: Record<string, string>;
  attrs: Record<string, string>;
}

/** An element or a text run (text is kept escaped, as received). */
export type XmlNode = XmlElement | { text: string };

const parser = new XMLParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', processEntities: false,
  trimValues: false, parseTagValue: false, parseAttributeValue: false, commentPropName: false as unknown as string,
});

type Raw = Record<string, unknown>;

/** Parse a DAV XML body into its root element; 400 for anything malformed. */
export function parseXml(body: string): XmlElement {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new HttpError(400, 'DOCTYPE and entities are not allowed');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new HttpError(400, `Malformed XML: ${valid.err.msg}`);
  let raw: Raw[];
  try {
    raw = parser.parse(body) as Raw[];
  } catch (err) {
    // fast-xml-parser throws plain Errors for limits such as its maximum nesting depth.
    throw new HttpError(400, `Malformed XML: ${(err as Error).message}`);
  }
  const roots = raw.map((n) => convert(n, { xml: 'http://www.w3.org/XML/1998/namespace' })).filter((n): n is XmlElement => 'local' in n);
  if (roots.length !== 1) throw new HttpError(400, 'XML body must have one root element');
  return roots[0]!;
}

function convert(node: Raw, outer: Record<string, string>): XmlNode | { skip: true } {
  const name = Object.keys(node).find((k) => k !== ':@');
  // An element literally named `:@` collides with the parser's attribute key.
  if (name === undefined) throw new HttpError(400, 'Malformed XML: invalid element name');
  if (name === '#text') return { text: String(node[name]) };
  if (name.startsWith('?') || name.startsWith('!') || name === '#comment') return { skip: true } as never;
  const attrsIn = (node[':@'] ?? {}) as Record<string, string>;
  const scope = { ...outer };
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsIn)) {
    if (k === 'xmlns') scope[''] = v;
    else if (k.startsWith('xmlns:')) {
      if (v === '') throw new HttpError(400, `Invalid namespace declaration ${k}=""`);
      scope[k.slice(6)] = v;
    } else attrs[k] = v;
  }
  const colon = name.indexOf(':');
  const prefix = colon >= 0 ? name.slice(0, colon) : '';
  const local = colon >= 0 ? name.slice(colon + 1) : name;
  const ns = scope[prefix];
  if (ns === undefined && prefix !== '') throw new HttpError(400, `Undeclared namespace prefix "${prefix}"`);
  const kids = (node[name] ?? []) as Raw[];
  const children = kids.map((k) => convert(k, scope)).filter((k): k is XmlNode => !('skip' in k));
  return { ns: ns ?? '', local, children, scope, attrs };
}

/** Child elements of `el`. */
export const elements = (el: XmlElement): XmlElement[] => el.children.filter((c): c is XmlElement => 'local' in c);

/** The first child element named `{ns}local`. */
export const child = (el: XmlElement, ns: string, local: string): XmlElement | undefined =>
  elements(el).find((c) => c.ns === ns && c.local === local);

/** `{ns}local`, the key of a property. */
export const clark = (ns: string, local: string): string => `{${ns}}${local}`;

/** Split a Clark name back into namespace and local name. */
export function unclark(key: string): { ns: string; local: string } {
  const end = key.indexOf('}');
  return { ns: key.slice(1, end), local: key.slice(end + 1) };
}

/** Escape text for XML content or attributes. */
export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Serialize nodes back to XML, declaring every element's namespace on the element itself. */
export function serialize(nodes: XmlNode[]): string {
  return nodes.map((n) => {
    if (!('local' in n)) return n.text;
    const attrs = Object.entries(n.attrs).map(([k, v]) => ` ${k}="${v}"`).join('');
    const open = n.ns === '' ? `<${n.local} xmlns=""${attrs}` : `<x:${n.local} xmlns:x="${esc(n.ns)}"${attrs}`;
    const close = n.ns === '' ? `</${n.local}>` : `</x:${n.local}>`;
    if (n.children.length === 0) return `${open}/>`;
    // Children re-declare their own namespaces, so the `x` prefix may be reused safely.
    return `${open}>${serialize(n.children)}${close}`;
  }).join('');
}

/** One property value in a propstat: raw inner XML (already serialized) or empty. */
export interface PropValue {
  key: string;
  xml: string;
}

/** A `<D:response>` with propstats grouped by status. */
export interface DavResponse {
  href: string;
  propstats: { status: number; props: PropValue[] }[];
}

const REASON: Record<number, string> = {
  200: 'OK', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 424: 'Failed Dependency', 507: 'Insufficient Storage',
};

/**
 * A dead property's stored value: its inner XML, led by `\0{lang}\0` when an xml:lang was in
 * scope (RFC 4918 §14.26: stored with the property, returned by PROPFIND). Serialized XML never
 * holds a NUL, so the mark cannot clash with a value.
 */
export const storedValue = (inner: string, lang: string | undefined): string => (lang === undefined ? inner : `\0${lang}\0${inner}`);

/** Split a stored value back into its xml:lang (if any) and inner XML. */
export function splitStored(v: string): { lang?: string; inner: string } {
  if (!v.startsWith('\0')) return { inner: v };
  const end = v.indexOf('\0', 1);
  return { lang: v.slice(1, end), inner: v.slice(end + 1) };
}

/** Render one property element `<p:local xmlns:p="ns">inner</p:local>` (value as stored: see storedValue). */
export function propXml(key: string, value: string): string {
  const { ns, local } = unclark(key);
  const { lang, inner } = splitStored(value);
  const langAttr = lang === undefined ? '' : ` xml:lang="${esc(lang)}"`;
  if (ns === 'DAV:') return inner === '' && !langAttr ? `<D:${local}/>` : `<D:${local}${langAttr}>${inner}</D:${local}>`;
  const open = ns === '' ? `<${local} xmlns=""${langAttr}` : `<P:${local} xmlns:P="${esc(ns)}"${langAttr}`;
  const close = ns === '' ? `</${local}>` : `</P:${local}>`;
  return inner === '' ? `${open}/>` : `${open}>${inner}${close}`;
}

/** A 207 Multi-Status body. */
export function multistatus(responses: DavResponse[]): string {
  const parts = responses.map((r) => {
    const filled = r.propstats.filter((p) => p.props.length > 0);
    // §14.24: a response holds at least one propstat (an empty <D:prop/> asks for nothing: 200, empty).
    const ps = (filled.length > 0 ? filled : [{ status: 200, props: [] }]).map((p) =>
      `<D:propstat><D:prop>${p.props.map((v) => propXml(v.key, v.xml)).join('')}</D:prop>` +
      `<D:status>HTTP/1.1 ${p.status} ${REASON[p.status] ?? ''}</D:status></D:propstat>`).join('');
    return `<D:response><D:href>${esc(r.href)}</D:href>${ps}</D:response>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${parts.join('')}</D:multistatus>`;
}

/** A 207 body with one status per href (DELETE / COPY failures below a collection). */
export function statusMultistatus(items: { href: string; status: number }[]): string {
  const parts = items.map((i) => `<D:response><D:href>${esc(i.href)}</D:href><D:status>HTTP/1.1 ${i.status} ${REASON[i.status] ?? ''}</D:status></D:response>`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${parts.join('')}</D:multistatus>`;
}

/** The XML reply content type. */
export const XML_TYPE = 'application/xml; charset=utf-8';
