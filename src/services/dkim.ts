/**
 * Per-domain DKIM keys (RSA 2048, selector `rmail`), made on first start under
 * `tls/dkim/{domain}.pem`, and signing with mailauth (relaxed/relaxed, rsa-sha256).
 */
import { generateKeyPair, createPublicKey } from 'node:crypto';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { dkimSign } from 'mailauth';

/** The DKIM selector every domain's key is published under. */
export const DKIM_SELECTOR = 'rmail';

const genKeyPair = promisify(generateKeyPair);

/** A new RSA 2048 private key (PEM, PKCS#8). */
export async function generateDkimKey(): Promise<string> {
  const { privateKey } = await genKeyPair('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}

/** The DNS TXT record that publishes a key: `rmail._domainkey.example.com. IN TXT "v=DKIM1; ..."`. */
export function dkimDnsRecord(domain: string, privateKeyPem: string): string {
  const der = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  const value = `v=DKIM1; k=rsa; p=${der.toString('base64')}`;
  // TXT strings are at most 255 characters each.
  const parts = value.match(/.{1,255}/g) ?? [];
  return `${DKIM_SELECTOR}._domainkey.${domain}. IN TXT ${parts.map((p) => `"${p}"`).join(' ')}`;
}

/** The DKIM-Signature header block (CRLF-terminated) for a message, or '' when signing failed. */
export async function dkimSignatureFor(input: Readable | Buffer, domain: string, privateKey: string): Promise<string> {
  const res = await dkimSign(input, {
    canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain: domain, selector: DKIM_SELECTOR, privateKey }],
  } as Parameters<typeof dkimSign>[1]);
  if (res.errors.length > 0 || !res.signatures.trim()) return '';
  return res.signatures.endsWith('\r\n') ? res.signatures : `${res.signatures}\r\n`;
}
