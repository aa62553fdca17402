/** DKIM private keys on disk: `tls/dkim/{domain}.pem` (PEM, mode 0600, written durably). */
import { promises as fsp } from 'node:fs';
import { dkimKeyFile } from './layout.js';
import { writeFileDurable } from './atomic.js';

/** A domain's private key (PEM), or undefined when it has none yet. */
export async function readDkimKey(root: string, domain: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(dkimKeyFile(root, domain), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Store a domain's private key durably (called by the system actor). */
export const writeDkimKey = (root: string, domain: string, pem: string): Promise<void> =>
  writeFileDurable(dkimKeyFile(root, domain), pem);
