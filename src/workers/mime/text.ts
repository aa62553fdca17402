/** Decoding part bodies to text: transfer encoding, then charset (pure). */
import type { MimePart } from '../../common/mail.js';

/** Decode a quoted-printable body. */
export function decodeQP(buf: Buffer): Buffer {
  const s = buf.toString('latin1').replace(/=\r?\n/g, '');
  const out = Buffer.alloc(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out[n++] = parseInt(s.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** The decoded bytes of a leaf part. */
export function partBytes(buf: Buffer, p: MimePart): Buffer {
  const raw = buf.subarray(p.bodyStart, p.end);
  if (p.encoding === 'BASE64') return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (p.encoding === 'QUOTED-PRINTABLE') return decodeQP(raw);
  return raw;
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
