/** Decoding part bodies to text: transfer encoding, then charset (pure). */
import type { MimePart } from '../../common/mail.js';
import type { TextDecoder } from 'node:util';
import { charsetDecoder } from '../../common/charset.js';
import { decodeTransferEncoding } from '../../common/transfer-encoding.js';

/** The decoded bytes of a leaf part. */
export function partBytes(buf: Buffer, p: MimePart): Buffer {
  return decodeTransferEncoding(buf.subarray(p.bodyStart, p.end), p.encoding);
}

/** The decoder of a text/* part's charset (unknown charsets fall back to UTF-8). */
export function decoderFor(p: MimePart): TextDecoder {
  return charsetDecoder(p.params.charset);
}

/** The text of a text/* part in its charset (unknown charsets fall back to UTF-8). */
export function partText(buf: Buffer, p: MimePart): string {
  return decoderFor(p).decode(partBytes(buf, p));
}

/** True when the part's transfer encoding leaves its bytes as they are (7bit, 8bit, binary, unknown). */
export const identityEncoded = (p: MimePart): boolean => {
  const e = p.encoding.toLowerCase();
  return e !== 'base64' && e !== 'quoted-printable';
};

/** Crude HTML to text for previews (the webmail sanitizes real HTML separately). */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'");
}
