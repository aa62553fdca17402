/**
 * Receive a webmail multipart upload into a drive directory: every `filename=` part is stored at
 * {dir}/{filename}; a filename may hold `/` (folder uploads with webkitdirectory), and each
 * component goes through DrivePath before anything is written. Parts are streamed one after
 * another with busboy's backpressure (no buffering of whole files).
 */
import busboy from 'busboy';
import { PassThrough } from 'node:stream';
import type { Services } from '../../../services/index.js';
import type { HttpRequest } from '../../types.js';
import { HttpError, ValidationError } from '../../../common/errors.js';
import { parseDrivePath, MAX_DEPTH } from '../../../common/drive-path.js';

/** Store the parts of `req` under `dir` in `userId`'s drive; returns how many files landed. */
export function receiveUpload(req: HttpRequest, s: Services, userId: string, dir: string[], opts: { mayOverwrite: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, preservePath: true, limits: { fields: 20, parts: 10_000 } });
    } catch {
      reject(new HttpError(400, 'Bad multipart body'));
      return;
    }
    let chain: Promise<void> = Promise.resolve();
    let failure: unknown;
    let count = 0;
    bb.on('file', (_field, file, info) => {
      let rel: string[];
      try {
        if (!info.filename) {
          file.resume();
          return;
        }
        rel = parseDrivePath(info.filename.replace(/\\/g, '/'));
        if (rel.length === 0) throw new ValidationError('Empty filename');
        if (dir.length + rel.length > MAX_DEPTH) throw new ValidationError(`Path deeper than ${MAX_DEPTH} components`);
      } catch (err) {
        failure ??= err;
        file.resume();
        return;
      }
      const body = new PassThrough();
      file.pipe(body);
      chain = chain.then(async () => {
        if (failure) {
          body.resume();
          return;
        }
        try {
          await s.drive.upload(userId, [...dir, ...rel], body, { parents: true, mayOverwrite: opts.mayOverwrite });
          count += 1;
        } catch (err) {
          failure ??= err;
          file.unpipe(body);
          file.resume();
          body.resume();
        }
      });
    });
    bb.on('error', (err) => { failure ??= new HttpError(400, `Bad multipart body: ${(err as Error).message}`); });
    bb.on('close', () => {
      chain.then(() => (failure ? reject(failure) : resolve(count)), reject);
    });
    const input = req.stream(10 * 1024 * 1024 * 1024);
    input.on('error', (err) => { failure ??= err; bb.destroy(); chain.then(() => reject(failure)); });
    input.pipe(bb);
  });
}
