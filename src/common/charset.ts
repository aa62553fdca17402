/** Text decoders by MIME charset name (pure): what a text part's `charset` parameter asks for. */
import { TextDecoder } from 'node:util';

/**
 * A decoder for a MIME charset; unknown charsets, and US-ASCII (often 8-bit UTF-8 in practice),
 * decode as UTF-8. A decoder is made per call (they hold streaming state).
 */
export function charsetDecoder(charset: string | undefined | null): TextDecoder {
  const name = (charset ?? 'utf-8').trim().toLowerCase();
  try {
    return new TextDecoder(name === 'us-ascii' || name === '' ? 'utf-8' : name);
  } catch {
    return new TextDecoder('utf-8');
  }
}
