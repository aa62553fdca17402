/** Start the whole server in-process on port 0 with a temp mail root; tear it down after. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../src/main/config.js';
import { startServer, type RunningServer } from '../../src/main/serve.js';
import { silentLogger, createLogger } from '../../src/main/log.js';
import type { Config } from '../../src/common/types.js';

/** A test server plus conveniences. */
export interface TestServer extends RunningServer {
  config: Config;
  root: string;
  /** `http://127.0.0.1:{port}` */
  url: string;
  /** Create a user directly through the account service. */
  addUser(address: string, password: string, opts?: { admin?: boolean; quota_mb?: number }): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | T[K] : T[K] };

/**
 * Start a server with every listener on port 0 (127.0.0.1, plain HTTP unless overridden) and
 * the given config overrides. Pass `t` to stop it and remove the mail root at teardown.
 */
export async function startTestServer(
  t: { teardown(fn: () => unknown): void },
  overrides: Record<string, unknown> = {},
): Promise<TestServer> {
  const root = mkdtempSync(join(tmpdir(), 'rmail-test-'));
  const base = {
    mail_root: root,
    hostname: 'localhost',
    listen_host: '127.0.0.1',
    domains: ['example.com'],
    http: { port: 0, tls: false },
    imap: { port: 0, tls_port: 0 },
    smtp: { port: 0, submission_port: 0, submissions_port: 0 },
    workers: { threads: 2 },
    log: { level: 'error', requests: !!process.env.RMAIL_TEST_LOG },
  };
  const config = buildConfig(merge(base, overrides));
  const log = process.env.RMAIL_TEST_LOG ? createLogger('debug') : silentLogger;
  const server = await startServer(config, log);
  t.teardown(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    ...server,
    config,
    root,
    url: `http://127.0.0.1:${server.ports.http}`,
    addUser: async (address, password, opts = {}) => {
      const [username, domain] = address.split('@');
      await server.services.accounts.create({ username, domain, password, ...opts });
    },
  };
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
      ? merge(cur as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

export type { DeepPartial };
