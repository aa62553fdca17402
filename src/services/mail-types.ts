/** The types of MailService's API (re-exported by src/services/mail.ts). */
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { WorkerPool } from '../workers/pool.js';
import type { Config, Logger } from '../common/types.js';
import type { MessageMeta, MessageSummary } from '../common/mail.js';
import type { QuotaService } from './quota.js';
import type { UnsyncedFile } from '../store/mail/files.js';

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
   * The `file` source is (a hard link of) this file written by `writeUnsynced`, not fsync'd yet:
   * the store fsyncs it in the commit, with the journal, instead of sealing it first. The caller
   * closes it once every append returned. Only for callers that made the file.
   */
  unsynced?: UnsyncedFile;
  /** The message's summary (or the mime worker's pending answer) when the caller asked for it already (delivery to many). */
  summary?: MessageSummary | Promise<MessageSummary | undefined>;
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
