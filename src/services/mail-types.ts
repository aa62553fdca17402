/** The types of MailService's API (re-exported by src/services/mail.ts). */
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { WorkerPool } from '../workers/pool.js';
import type { Config, Logger } from '../common/types.js';
import type { MessageMeta, MessageSummary } from '../common/mail.js';
import type { QuotaService } from './quota.js';

/** What MailService needs from the rest of the server. */
export interface MailDeps {
  config: Config;
  log: Logger;
  actors: ActorRegistry;
  changes: ChangeBus;
  pool: WorkerPool;
  quota: QuotaService;
}

/** Options of an append. */
export interface AppendOptions {
  flags?: string[];
  /** INTERNALDATE in ms since epoch (default now). */
  internalDate?: number;
  /**
   * The `file` source is already durable (written by `writeTemp`: fsync'd, its mtime the
   * internalDate or within moments of it) and this is its size: the store skips sealing it again.
   * Only for callers that made the file.
   */
  sealedSize?: number;
  /** The message's summary when the caller already had the mime worker compute it (delivery to many). */
  summary?: MessageSummary;
}

/** Result of a flag change: the messages changed (new state) and the uids that failed UNCHANGEDSINCE. */
export interface SetFlagsResult {
  changed: MessageMeta[];
  modifiedFailed: number[];
}

/** Result of COPY/MOVE: the destination's uidValidity and [sourceUid, destUid] pairs (COPYUID). */
export interface CopyResult {
  uidValidity: number;
  pairs: [number, number][];
}
