/**
 * PUT /drive/{path} (reference.md "Drive"): create or overwrite a file, streaming the body to a
 * temp file while hashing; missing parents are created. Honors If-Match, If-None-Match,
 * If-Unmodified-Since,
 * WebDAV locks and If. Through a share: creating needs C, overwriting needs U.
 * 201 with the file's JSON when created, 200 when overwritten.
 */
import { HttpError } from '../../common/errors.js';
import { joinDrivePath } from '../../common/drive-path.js';
import { json } from '../reply.js';
import { LOG_MAX } from '../../services/drive.js';
import { resolveTarget, checkWrite } from './context.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** PUT. */
export async function putHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  if (t.sub.length === 0 && t.share === undefined) throw new HttpError(405, 'Cannot PUT the drive root');
  if (req.headers['content-range']) throw new HttpError(400, 'Content-Range is not supported on PUT');
  await checkWrite(req, s, t, t.parts, false);
  const len = req.headers['content-length'];
  const expectedSize = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
  // A small body with a length is read whole (no stream); anything else streams to a temp file.
  const body = expectedSize !== undefined && expectedSize <= LOG_MAX ? await req.body(LOG_MAX) : req.stream();
  const r = await s.drive.upload(t.userId, t.parts, body, {
    parents: true,
    ifMatch: req.headers['if-match'],
    ifNoneMatch: req.headers['if-none-match'],
    ifUnmodifiedSince: req.headers['if-unmodified-since'],
    mayCreate: t.share ? t.share.permissions.includes('C') : undefined,
    mayOverwrite: t.share ? t.share.permissions.includes('U') : undefined,
    expectedSize,
  });
  const { props: _p, ...entry } = r.entry;
  return json(r.created ? 201 : 200, { path: joinDrivePath(t.sub), name: t.parts[t.parts.length - 1], ...entry }, { etag: r.entry.etag });
}
