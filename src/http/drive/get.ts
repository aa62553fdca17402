/**
 * GET / HEAD /drive/{path} (reference.md "Drive" endpoints): a directory gives its JSON listing
 * (CONTRACT.md shape); a file streams with ETag, the RFC 9110 conditionals (If-Match and
 * If-Unmodified-Since 412, If-None-Match and If-Modified-Since 304) and single-range Range
 * (206 / 416). A directory share opened by a browser (text/html in Accept) is redirected to the
 * webmail file manager (reference.md "Webmail UI for sharing").
 */
import { Readable } from 'node:stream';
import { HttpError, NotFoundError } from '../../common/errors.js';
import { joinDrivePath } from '../../common/drive-path.js';
import { entryEtag, evaluateConditions } from '../../services/drive.js';
import { json } from '../reply.js';
import { resolveTarget, need, conditionsOf } from './context.js';
import { browserRedirect } from './public-link.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** Parse `bytes=a-b` against `size`: the inclusive range, null to ignore, or 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  // An empty file has no byte to name: the whole (empty) body, 200 (RFC 9110 §14.2 lets a server ignore Range).
  if (!header || size === 0) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw rangeError(size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) throw rangeError(size);
  return { start, end };
}

const rangeError = (size: number) => new HttpError(416, 'Range not satisfiable', { 'content-range': `bytes */${size}` });

/** GET and HEAD. */
export async function getHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  need(t, 'R');
  const e = await s.drive.stat(t.userId, t.parts);
  if (!e) throw new NotFoundError('Not found');
  if (e.type === 'dir') {
    const redirect = browserRedirect(req, t);
    if (redirect) return redirect;
    if (evaluateConditions(e, conditionsOf(req), true) === 'not-modified') return { status: 304, headers: { etag: entryEtag(e) } };
    const listing = await s.drive.list(t.userId, t.parts);
    listing.path = joinDrivePath(t.sub);
    return json(200, listing, { etag: entryEtag(e) });
  }
  const headers: Record<string, string> = {
    etag: e.etag,
    'content-type': e.content_type,
    'accept-ranges': 'bytes',
    'last-modified': new Date(e.mtime * 1000).toUTCString(),
    'x-content-type-options': 'nosniff',
    'content-security-policy': 'sandbox',
  };
  if (evaluateConditions(e, conditionsOf(req), true) === 'not-modified') return { status: 304, headers: { etag: e.etag } };
  // If-Range (RFC 9110 §13.1.5): the range only while the file is still the one named, by ETag or by exact Last-Modified.
  const ifRange = req.headers['if-range']?.trim();
  const range = ifRange === undefined || ifRange === e.etag || ifRange === headers['last-modified'] ? parseRange(req.headers['range'], e.size) : null;
  const head = req.method === 'HEAD';
  let status = 200;
  let start = 0;
  let length = e.size;
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${e.size}`;
    status = 206;
    start = range.start;
    length = range.end - range.start + 1;
  }
  if (head || length === 0) return { status, headers, body: head ? Readable.from([]) : '', length };
  const content = await s.drive.openForDownload(t.userId, t.parts, range ?? undefined);
  if ('data' in content) return { status, headers, body: content.data };
  return { status, headers, file: { fd: content.fd, start, length } };
}
