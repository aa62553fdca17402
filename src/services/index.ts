/** The collaborators every protocol front end is handed (no module-level singletons). */
import type { Config, Logger } from '../common/types.js';
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { WorkerPool } from '../workers/pool.js';
import type { AuthService } from './auth.js';
import type { AccountService } from './accounts.js';
import type { CalendarService } from './calendar.js';
import type { MailService } from './mail.js';
import type { QuotaService } from './quota.js';
import type { DriveService } from './drive.js';
import type { DeliveryService } from './delivery.js';
import type { OutboundService } from './outbound.js';
import type { PreferencesService } from './preferences.js';

/** Everything a handler may use. Each area adds its service here. */
export interface Services {
  config: Config;
  log: Logger;
  actors: ActorRegistry;
  changes: ChangeBus;
  pool: WorkerPool;
  auth: AuthService;
  accounts: AccountService;
  calendar: CalendarService;
  /** Users' mail: folders, messages, flags (src/services/mail.ts). */
  mail: MailService;
  /** Mail + drive bytes against quota_mb (src/services/quota.ts). */
  quota: QuotaService;
  /** Local delivery: recipient routing, auth checks, INBOX appends, iMIP hook (src/services/delivery.ts). */
  delivery: DeliveryService;
  /** The durable relay queue: `enqueue(from, recipients, raw)` (src/services/outbound.ts). */
  outbound: OutboundService;
  /** Users' drives, shares and WebDAV locks (src/services/drive.ts). */
  drive: DriveService;
  /** Webmail preferences, preferences.json (src/services/preferences.ts). */
  preferences: PreferencesService;
}
