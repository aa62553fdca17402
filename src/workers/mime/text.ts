/** Decoding part bodies to text: transfer encoding, then charset (pure). */
import type { MimePart } from '../../common/mail.js';
import { decodeTransferEncoding } from '../../common/transfer-encoding.js';

/** The decoded bytes of a leaf part. */
export function partBytes(buf: Buffer, p: MimePart): Buffer {
  return decodeTransferEncoding(buf.subarray(p.bodyStart, p.end), p.encoding);
}

/** The text of a text/* part in its charset (unknown charsets fall back to UTF-8). */
export function partText(buf: Buffer, p: MimePart): string {
  const bytes = partBytes(buf, p);
  const charset = (p.params.charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(charset === 'us-ascii' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

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
