// Jazzer.js target: JSON request bodies (readJsonObject). An object or an HttpError 4xx.
import { readJsonObject } from '../dist/http/reply.js';
import { HttpError } from '../dist/common/errors.js';

export async function fuzz(data) {
  const req = { body: async () => Buffer.from(data) };
  try {
    const v = await readJsonObject(req, 1 << 20);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
  } catch (err) {
    if (!(err instanceof HttpError && err.status >= 400 && err.status < 500)) throw err;
  }
}
