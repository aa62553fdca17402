// Jazzer.js target: multipart/form-data bodies as the drive POST handler reads them (busboy with
// the same options, every part's filename through DrivePath). Errors must surface as rejections
// of the pipeline or part streams, never as unhandled 'error' events; filenames must validate.
import busboy from 'busboy';
import { Readable, PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDrivePath } from '../dist/common/drive-path.js';
import { ValidationError } from '../dist/common/errors.js';

export async function fuzz(data) {
  const bb = busboy({ headers: { 'content-type': 'multipart/form-data; boundary=B' }, preservePath: true, limits: { fields: 100, parts: 10_000 } });
  const reads = [];
  bb.on('file', (_f, file, info) => {
    file.on('error', () => {});
    try {
      if (info.filename) parseDrivePath(info.filename);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
    }
    const body = new PassThrough();
    body.on('error', () => {});
    file.pipe(body);
    reads.push(new Promise((resolve) => { body.on('end', resolve).on('close', resolve); body.resume(); }));
  });
  try {
    await pipeline(Readable.from([Buffer.from(data)]), bb);
  } catch {
    /* a malformed body: the handler turns this into a 400 */
  }
  await Promise.race([Promise.all(reads), new Promise((r) => setTimeout(r, 50))]);
}
