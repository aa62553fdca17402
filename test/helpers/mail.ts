/** The mail store services without any listener (store-level tests): temp mail root, example.com. */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../src/main/config.js';
import { silentLogger } from '../../src/main/log.js';
import { ActorRegistry } from '../../src/actors/registry.js';
import { ChangeBus } from '../../src/actors/changes.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { AccountService } from '../../src/services/accounts.js';
import { QuotaService } from '../../src/services/quota.js';
import { MailService } from '../../src/services/mail.js';
import { tmpDir } from '../../src/store/layout.js';
import type { Config } from '../../src/common/types.js';

/** What a store test gets. */
export interface MailHarness {
  root: string;
  config: Config;
  actors: ActorRegistry;
  changes: ChangeBus;
  pool: WorkerPool;
  accounts: AccountService;
  quota: QuotaService;
  mail: MailService;
  addUser(address: string, opts?: { quota_mb?: number }): Promise<void>;
  /** A fresh MailService/actors over the same root (as after a restart). */
  restart(): Promise<void>;
}

/** Build the harness; pass `t` to close it and remove the root at teardown. */
export async function mailHarness(t: { teardown(fn: () => unknown): void }, root?: string): Promise<MailHarness> {
  const dir = root ?? mkdtempSync(join(tmpdir(), 'rmail-mail-'));
  const config = buildConfig({ mail_root: dir, domains: ['example.com'], http: { port: null }, imap: { port: null, tls_port: null }, smtp: { port: null, submission_port: null, submissions_port: null } });
  mkdirSync(tmpDir(dir), { recursive: true });
  const pool = new WorkerPool(2);
  const h = {} as MailHarness;
  const build = () => {
    const changes = new ChangeBus();
    const actors = new ActorRegistry(dir);
    const accounts = new AccountService(dir, actors, changes, config.domains);
    const quota = new QuotaService(dir, accounts);
    const mail = new MailService({ config, log: silentLogger, actors, changes, pool, quota });
    accounts.onCreate.push((id) => mail.ensureUser(id));
    accounts.onDelete.push((id) => mail.forgetUser(id));
    Object.assign(h, { root: dir, config, actors, changes, pool, accounts, quota, mail });
  };
  build();
  h.addUser = async (address, opts = {}) => {
    const [username, domain] = address.split('@');
    await h.accounts.create({ username, domain, password: 'pw', ...opts });
  };
  h.restart = async () => {
    await h.actors.close();
    await h.mail.close();
    build();
  };
  t.teardown(async () => {
    await h.actors.close();
    await h.mail.close();
    await pool.close();
    if (!root) rmSync(dir, { recursive: true, force: true });
  });
  return h;
}
