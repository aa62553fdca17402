/**
 * MailService: the one entry to users' mail for every front end (IMAP, SMTP, API, webmail).
 *
 * Invariants:
 * - Every write goes through the user's actor (`mutate`: serial, under the user's flock) and is
 *   acknowledged only once durable (message file fsync'd + renamed + dir fsync'd, journal line
 *   fsync'd). Concurrent appends to one folder are batched into one actor turn sharing fsyncs.
 * - MIME parsing (the `mime` worker) happens before the actor turn, never inside it.
 * - Change events are published after the write is durable, in order.
 * - Reads (`folder`, `listFolders`, `summary`, `messageFile`) never queue behind writes.
 * - Folder names use `/` as the hierarchy separator; `INBOX` is case-insensitive.
 */
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import type { WorkerPool } from '../workers/pool.js';
import type { Config, Logger } from '../common/types.js';
import type {
  AppendResult, AppendSource, FlagOp, FolderInfo, FolderView, MessageMeta, MessageSummary,
} from '../common/mail.js';
import type { QuotaService } from './quota.js';

export type { AppendResult, AppendSource, FolderView };

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

/** The mail store service. */
export class MailService {
  constructor(private readonly deps: MailDeps) {
    deps.quota.mailBytes = (userId) => this.mailBytes(userId);
  }

  /** Create the user's mail store and special-use folders (idempotent; run on account creation). */
  async ensureUser(userId: string): Promise<void> {
    void userId; // TODO: filled in with the store
  }

  /** Bytes of all the user's messages (running total kept by the store). */
  async mailBytes(userId: string): Promise<number> {
    void userId;
    return 0;
  }

  /** Every folder of the user (creates the special-use folders on first use). */
  async listFolders(userId: string): Promise<FolderInfo[]> {
    void userId;
    throw new Error('TODO');
  }

  /** Create a folder (parents are created too); ConflictError when it exists. */
  async createFolder(userId: string, name: string, opts: { specialUse?: string } = {}): Promise<FolderInfo> {
    void userId; void name; void opts;
    throw new Error('TODO');
  }

  /** Rename a folder and its children (no message is rewritten). */
  async renameFolder(userId: string, from: string, to: string): Promise<void> {
    void userId; void from; void to;
    throw new Error('TODO');
  }

  /** Delete a folder and its messages (special-use folders: ValidationError). */
  async deleteFolder(userId: string, name: string): Promise<void> {
    void userId; void name;
    throw new Error('TODO');
  }

  /** Set the IMAP subscription flag of a folder. */
  async setSubscribed(userId: string, name: string, subscribed: boolean): Promise<void> {
    void userId; void name; void subscribed;
    throw new Error('TODO');
  }

  /** The live read view of a folder's index; NotFoundError when absent. */
  async folder(userId: string, name: string): Promise<FolderView> {
    void userId; void name;
    throw new Error('TODO');
  }

  /** Append a message durably (parsed by the mime worker first); QuotaError when over quota. */
  async append(userId: string, folder: string, source: AppendSource, opts: AppendOptions = {}): Promise<AppendResult> {
    void userId; void folder; void source; void opts;
    throw new Error('TODO');
  }

  /** Change flags of messages (one journal line each); UNCHANGEDSINCE failures are reported. */
  async setFlags(
    userId: string, folder: string, uids: number[], op: FlagOp, flags: string[], opts: { unchangedSince?: number } = {},
  ): Promise<SetFlagsResult> {
    void userId; void folder; void uids; void op; void flags; void opts;
    throw new Error('TODO');
  }

  /** Permanently remove messages; answers the uids actually removed. */
  async expunge(userId: string, folder: string, uids: number[]): Promise<number[]> {
    void userId; void folder; void uids;
    throw new Error('TODO');
  }

  /** Copy messages (hard links) to another folder of the same user. */
  async copy(userId: string, from: string, uids: number[], to: string): Promise<CopyResult> {
    void userId; void from; void uids; void to;
    throw new Error('TODO');
  }

  /** Move messages (link into the destination, then expunge from the source). */
  async move(userId: string, from: string, uids: number[], to: string): Promise<CopyResult> {
    void userId; void from; void uids; void to;
    throw new Error('TODO');
  }

  /** Path of a message's immutable file (for streaming reads; may vanish after an expunge). */
  messageFile(userId: string, folder: string, uid: number): string {
    void userId; void folder; void uid;
    throw new Error('TODO');
  }

  /** The stored summary of a message (envelope, body structure with offsets, preview, ...). */
  async summary(userId: string, folder: string, uid: number): Promise<MessageSummary> {
    void userId; void folder; void uid;
    throw new Error('TODO');
  }

  /** Mail bytes + drive bytes against quota_mb * 1 MiB. */
  async quota(userId: string): Promise<{ used: number; limit: number }> {
    return this.deps.quota.usage(userId);
  }
}
