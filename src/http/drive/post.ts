/**
 * POST /drive/{path} (reference.md "Drive"): `?action=mkdir` creates {path} and its parents
 * (needs C through a share); a multipart/form-data body stores each `filename=` part at
 * {path}/{filename}, where the filename may hold `/` (webkitdirectory folder uploads) and every
 * component is validated by DrivePath before anything is written (needs U through a share).
 * The parts are committed together once the whole body has parsed: a truncated or malformed
 * body is a 400 that stores nothing.
 */
import busboy from 'busboy';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClientGone, HttpError, ValidationError } from '../../common/errors.js';
import { joinDrivePath, parseDrivePath, MAX_DEPTH } from '../../common/drive-path.js';
import { json } from '../reply.js';
import { resolveTarget, need, checkWrite, type DriveTarget } from './context.js';
import type { Services } from '../../services/index.js';
import type { StagedUpload } from '../../services/drive.js';
import type { HttpRequest, Reply } from '../types.js';

/** POST. */
export async function postHandler(req: HttpRequest, s: Services): Promise<Reply> {
  const t = await resolveTarget(req, s);
  if (req.query.get('action') === 'mkdir') {
    need(t, 'C');
    if (t.parts.length === 0) return json(200, { path: '', type: 'dir', created: false });
    await checkWrite(req, s, t, t.parts, false);
    const created = await s.drive.mkdir(t.userId, t.parts, true);
    return json(created ? 201 : 200, { path: joinDrivePath(t.sub), type: 'dir', created });
  }
  if (req.query.has('action')) throw new HttpError(400, 'Unknown action');
  const ct = req.headers['content-type'] ?? '';
  if (!ct.toLowerCase().startsWith('multipart/form-data')) {
    throw new HttpError(415, 'POST needs ?action=mkdir or a multipart/form-data body');
  }
  need(t, 'U');
  const dir = await s.drive.stat(t.userId, t.parts);
  if (dir?.type === 'file') throw new HttpError(409, 'Upload target is a file');
  return json(201, { uploaded: await receive(req, s, t) });
}

interface Uploaded {
  path: string;
  size: number;
  etag: string;
}

/**
 * Run busboy over the request stream. Each file part is staged (streamed to a temp file) in
 * order; only when the whole body has parsed are they committed, all together. A malformed or
 * truncated body, a bad filename or a refused part fails the request with nothing stored.
 */
async function receive(req: HttpRequest, s: Services, t: DriveTarget): Promise<Uploaded[]> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, preservePath: true, limits: { fields: 100, parts: 10_000 } });
  } catch (err) {
    throw new HttpError(400, `Malformed multipart body: ${(err as Error).message}`);
  }
  const staged: StagedUpload[] = [];
  const rels: string[][] = [];
  /** Part streams not yet fully read: destroyed when the body turns out bad, so nothing waits on them. */
  const open = new Set<PassThrough>();
  let reserved = 0;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  bb.on('file', (_field, file, info) => {
    // A truncated body makes busboy error the part stream: never leave that error unhandled.
    let body: PassThrough | undefined;
    file.on('error', (err) => {
      failure ??= malformed(err);
      body?.destroy(malformed(err));
    });
    let rel: string[];
    try {
      if (!info.filename) throw new ValidationError('A file part needs a filename');
      rel = parseDrivePath(info.filename);
      if (rel.length === 0) throw new ValidationError('Empty filename');
      if (t.parts.length + rel.length > MAX_DEPTH) throw new ValidationError(`Path deeper than ${MAX_DEPTH} components`);
    } catch (err) {
      failure ??= err;
      file.resume();
      return;
    }
    // Hand the part over through a PassThrough so busboy's backpressure holds while queued.
    body = new PassThrough();
    body.on('error', () => {}); // the stage reading it sees the error; an idle queue must not crash
    file.pipe(body);
    const part = body;
    open.add(part);
    part.on('close', () => open.delete(part));
    part.on('end', () => open.delete(part));
    chain = chain.then(async () => {
      if (failure) {
        file.resume();
        part.resume();
        return;
      }
      const parts = [...t.parts, ...rel];
      try {
        await checkWrite(req, s, t, parts, false);
        const st = await s.drive.stage(t.userId, parts, part, { parents: true }, reserved);
        staged.push(st);
        rels.push(rel);
        reserved += st.meta.size;
      } catch (err) {
        failure ??= err;
        file.unpipe(part);
        file.resume();
      }
    });
  });
  try {
    await pipeline(req.stream(), bb);
  } catch (err) {
    failure ??= err instanceof HttpError || err instanceof ClientGone ? err : malformed(err);
  }
  if (failure) for (const part of open) part.destroy(failure instanceof Error ? failure : new Error(String(failure)));
  await chain;
  try {
    if (failure) throw failure;
    const results = await s.drive.commitAll(t.userId, staged);
    return results.map((r, i) => ({ path: joinDrivePath([...t.sub, ...rels[i]!]), size: r.entry.size, etag: r.entry.etag }));
  } finally {
    await Promise.all(staged.map((st) => s.drive.discard(st)));
  }
}

/** busboy's plain Errors (truncated body, bad boundary) are the client's fault: a 400. */
const malformed = (err: unknown): HttpError => new HttpError(400, `Malformed multipart body: ${(err as Error).message}`);
