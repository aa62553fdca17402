/** The TLS key pair: the configured files, or a self-signed pair made on first start under mail_root. */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { tlsDir } from '../store/layout.js';
import { writeFileDurable } from '../store/atomic.js';
import type { Config } from '../common/types.js';

/** Key and certificate: file names (uWS wants them) and contents (node:tls wants them). */
export interface TlsPair {
  keyFile: string;
  certFile: string;
  key: Buffer;
  cert: Buffer;
}

/** Load the configured pair or create/load the self-signed one under `{mail_root}/tls`. */
export async function ensureTls(config: Config): Promise<TlsPair> {
  let keyFile = config.tls.key;
  let certFile = config.tls.cert;
  if (!keyFile || !certFile) {
    const dir = tlsDir(config.mail_root);
    keyFile = join(dir, 'key.pem');
    certFile = join(dir, 'cert.pem');
    const exists = await fsp.stat(certFile).then(() => true, () => false);
    if (!exists) {
      const now = new Date();
      const pems = await selfsigned.generate([{ name: 'commonName', value: config.hostname }], {
        keySize: 2048,
        algorithm: 'sha256',
        notBeforeDate: now,
        notAfterDate: new Date(now.getTime() + 5 * 365 * 86400_000),
        extensions: [
          { name: 'basicConstraints', cA: false },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: config.hostname },
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
            ],
          },
        ],
      });
      await writeFileDurable(keyFile, pems.private);
      await writeFileDurable(certFile, pems.cert);
    }
  }
  return { keyFile, certFile, key: await fsp.readFile(keyFile), cert: await fsp.readFile(certFile) };
}
