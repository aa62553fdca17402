/** Worker task: SHA-256 of a buffer or a file, as the 32-hex-char ETag reference.md uses. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hash either bytes or a file on disk. */
export type HashInput = { data: Uint8Array } | { file: string };
/** Full hex digest, the 32-char ETag form, and the byte count. */
export interface HashOutput {
  sha256: string;
  etag: string;
  size: number;
}

/** Hash the input (pure: no server state). */
export default async function hash(input: HashInput): Promise<HashOutput> {
  const h = createHash('sha256');
  let size = 0;
  if ('data' in input) {
    h.update(input.data);
    size = input.data.byteLength;
  } else {
    for await (const chunk of createReadStream(input.file)) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
  }
  const sha256 = h.digest('hex');
  return { sha256, etag: sha256.slice(0, 32), size };
}
