/**
 * Reading an upload's body (reference.md "Drive": ETag = SHA-256, 32 hex chars, quoted): hashed
 * as it arrives, refused with 413 past the quota, small bodies (up to LOG_MAX) kept whole so the
 * commit can log them in the journal line instead of syncing a file of their own.
 */
import type { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HttpError } from '../../common/errors.js';

/** 413 that also closes the connection (the rest of the upload is never read). */
export const overQuota = (): HttpError => new HttpError(413, 'Quota exceeded');

/** Uploads up to this size are logged whole in the journal intent rather than synced on their own. */
export const LOG_MAX = 64 * 1024;

/** The chunks of `body`; past `limit` bytes a 413, and the rest of the upload is dropped. */
async function* withinLimit(body: Readable, limit: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > limit) {
      body.destroy();
      throw overQuota();
    }
    yield buf;
  }
}

/** Read a small `body` whole, hashing it; 413 past `limit` bytes. */
export async function readSmall(body: Readable, limit: number): Promise<{ data: Buffer; size: number; etag: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const buf of withinLimit(body, limit)) {
    size += buf.byteLength;
    chunks.push(buf); // the transport hands over copies (uws.ts), never views of a reused buffer
  }
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  return { data, size, etag: etagOfBytes(data) };
}

/** The reference.md ETag of a whole content: SHA-256, 32 hex chars, quoted. */
export const etagOfBytes = (data: Buffer): string => `"${createHash('sha256').update(data).digest('hex').slice(0, 32)}"`;

/**
 * Write `body` through `fh`, hashing as it goes; 413 past `limit` bytes. Small bodies also come
 * back whole. Each chunk written and not kept goes back to the transport when its stream offers
 * `recycle` (uws.ts reuses its buffer for the next chunks).
 */
export async function streamToFile(body: Readable, fh: fsp.FileHandle, limit: number): Promise<{ size: number; etag: string; logged?: Buffer }> {
  const hash = createHash('sha256');
  const recycle = (body as Readable & { recycle?: (chunk: Buffer) => void }).recycle;
  let size = 0;
  let kept: Buffer[] | undefined = [];
  for await (const buf of withinLimit(body, limit)) {
    size += buf.byteLength;
    hash.update(buf);
    if (kept && size <= LOG_MAX) kept.push(buf);
    else kept = undefined;
    await fh.write(buf, 0, buf.byteLength);
    if (!kept) recycle?.(buf);
  }
  // Not synced here: the commit fdatasyncs it (or logs it) together with the journal intent (one round).
  return { size, etag: `"${hash.digest('hex').slice(0, 32)}"`, logged: kept ? Buffer.concat(kept, size) : undefined };
}
