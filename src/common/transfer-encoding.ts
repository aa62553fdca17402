/** Content-Transfer-Encoding decoding shared by the mime worker, IMAP BINARY/SEARCH and webmail (pure). */

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** Decode quoted-printable bytes (RFC 2045 6.7): `=XX` escapes and `=` soft line breaks. */
export function decodeQuotedPrintable(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b !== 0x3d) {
      out[o++] = b;
      continue;
    }
    if (data[i + 1] === 0x0a) {
      i += 1;
      continue;
    }
    if (data[i + 1] === 0x0d && data[i + 2] === 0x0a) {
      i += 2;
      continue;
    }
    const hi = hexValue(data[i + 1]);
    const lo = hexValue(data[i + 2]);
    if (hi >= 0 && lo >= 0) {
      out[o++] = hi * 16 + lo;
      i += 2;
    } else out[o++] = b;
  }
  return out.subarray(0, o);
}

/** Undo a Content-Transfer-Encoding (base64, quoted-printable; anything else as is). */
export function decodeTransferEncoding(data: Buffer, encoding: string): Buffer {
  const e = encoding.toLowerCase();
  if (e === 'base64') return Buffer.from(data.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (e === 'quoted-printable') return decodeQuotedPrintable(data);
  return data;
}
