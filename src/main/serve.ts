/** Start and stop everything: store, actors, workers, services, and every listener. */
import { promises as fsp } from 'node:fs';
import type { Config, Logger } from '../common/types.js';
import { ActorRegistry } from '../actors/registry.js';
import { ChangeBus } from '../actors/changes.js';
import { WorkerPool } from '../workers/pool.js';
import { AccountService } from '../services/accounts.js';
import { AuthService } from '../services/auth.js';
import { CalendarService } from '../services/calendar.js';
import { PreferencesService } from '../services/preferences.js';
import { ImipService } from '../services/imip.js';
import { ReminderService } from '../services/reminders.js';
import { MailService } from '../services/mail.js';
import { QuotaService } from '../services/quota.js';
import { DriveService } from '../services/drive.js';
import { DeliveryService } from '../services/delivery.js';
import { OutboundService } from '../services/outbound.js';
import { startSmtpServers } from '../smtp/server.js';
import { startImapServers } from '../imap/server.js';
import type { Services } from '../services/index.js';
import { startHttpServer } from '../http/server.js';
import { ensureTls, type TlsPair } from './tls.js';
import { workerThreads } from './config.js';
import { tmpDir } from '../store/layout.js';

/** Real ports of the listeners that are on (null when disabled). */
export interface Ports {
  http: number | null;
  imap: number | null;
  imaps: number | null;
  smtp: number | null;
  submission: number | null;
  submissions: number | null;
}

/** A running server. */
export interface RunningServer {
  ports: Ports;
  services: Services;
  tls: TlsPair;
  /** Stop accepting, finish in-flight work, flush, release everything. */
  stop(): Promise<void>;
}

/** Something started that must be stopped on shutdown, in reverse order. */
type Stopper = () => Promise<void>;

/** Build the services for a config (used by serve and by tests). */
export function createServices(config: Config, log: Logger): Services {
  const changes = new ChangeBus();
  const actors = new ActorRegistry(config.mail_root, {
    idleMs: 5 * 60_000,
    maxResident: 10_000,
    hasListeners: (id) => changes.listenerCount(id) > 0,
  });
  const pool = new WorkerPool(workerThreads(config));
  const accounts = new AccountService(config.mail_root, actors, changes, config.domains);
  const auth = new AuthService(config, accounts);
  const quota = new QuotaService(config.mail_root, accounts);
  const mail = new MailService({ config, log, actors, changes, pool, quota });
  accounts.onCreate.push((id) => mail.ensureUser(id));
  accounts.onDelete.push((id) => mail.forgetUser(id));
  const outbound = new OutboundService({ config, log, actors });
  const delivery = new DeliveryService({ config, log, accounts, mail });
  outbound.bounce = async (to, dsn) => {
    if (!(await delivery.deliverRaw(to, dsn))) await outbound.enqueue('', [to], dsn);
  };
  const calendar = new CalendarService(config.mail_root, actors, changes, pool, log);
  accounts.onCreate.push((id) => calendar.ensureDefaults(id));
  new ImipService({ log, calendar, mail, delivery, outbound }).attach();
  const drive = new DriveService(config.mail_root, actors, changes, quota, () => config.public_url);
  accounts.onDelete.push(async (id) => { await drive.shares.removeAll(id); await drive.forget(id); });
  const preferences = new PreferencesService(config.mail_root, actors);
  return { config, log, actors, changes, pool, accounts, auth, mail, quota, delivery, outbound, calendar, drive, preferences };
}

/** Start every enabled listener on `config`. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  await fsp.mkdir(config.mail_root, { recursive: true });
  await fsp.rm(tmpDir(config.mail_root), { recursive: true, force: true });
  await fsp.mkdir(tmpDir(config.mail_root), { recursive: true });
  const tls = await ensureTls(config);
  const services = createServices(config, log);
  services.actors.start();
  const stoppers: Stopper[] = [
    () => services.pool.close(),
    () => services.mail.close(),
    () => services.actors.close(),
  ];
  const reminders = new ReminderService(services);
  reminders.start();
  stoppers.push(() => reminders.stop());
  const ports: Ports = { http: null, imap: null, imaps: null, smtp: null, submission: null, submissions: null };
  const host = config.listen_host;
  try {
    if (config.http.port !== null) {
      const http = await startHttpServer(services, {
        host,
        port: config.http.port,
        tls: config.http.tls ? { key: tls.keyFile, cert: tls.certFile } : undefined,
      });
      ports.http = http.port;
      if (config.public_url.endsWith(':0')) config.public_url = `${config.public_url.slice(0, -2)}:${http.port}`; // port 0: real port
      stoppers.push(() => http.close());
      log.info('listening', { service: 'http', host, port: http.port, tls: config.http.tls });
    }
    await services.outbound.start();
    stoppers.push(() => services.outbound.stop());
    const smtp = await startSmtpServers(services, tls, host);
    Object.assign(ports, smtp.ports);
    stoppers.push(() => smtp.close());
    const imap = await startImapServers(services, tls, host);
    Object.assign(ports, imap.ports);
    stoppers.push(() => imap.close());
  } catch (err) {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    throw err;
  }
  let stopped: Promise<void> | null = null;
  return {
    ports,
    services,
    tls,
    stop: () => {
      stopped ??= (async () => {
        for (const stop of [...stoppers].reverse()) {
          await stop().catch((err) => log.error('stop failed', { err: err as Error }));
        }
      })();
      return stopped;
    },
  };
}
