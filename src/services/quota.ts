/**
 * QuotaService: per-user storage use = mail bytes + drive bytes, against quota_mb * 1 MiB.
 *
 * - Mail bytes come from the mail store (MailService sets `mailBytes`; it keeps its own
 *   running total per user).
 * - Drive bytes are a running total kept here: read once from `drive/_meta.json`
 *   (`total_bytes`) on first use, then adjusted by the Drive area with `addDrive(userId, delta)`
 *   after each durable drive write (negative delta on delete).
 * - `check(userId, bytes)` throws QuotaError (413) when `bytes` more would exceed the limit;
 *   call it before writing anything (mail does it inside the user's actor turn).
 */
import { QuotaError, NotFoundError } from '../common/errors.js';
import { splitAddress } from '../common/names.js';
import { readJson } from '../store/atomic.js';
import { driveMetaFile } from '../store/layout.js';
import type { AccountService } from './accounts.js';

/** One MiB. */
export const MIB = 1024 * 1024;

/** A user's use and limit, in bytes. */
export interface QuotaUsage {
  used: number;
  limit: number;
  mail: number;
  drive: number;
}

/** Running totals of mail + drive bytes per user. */
export class QuotaService {
  private readonly drive = new Map<string, number>();
  /** Mail bytes of a user (set by MailService at construction). */
  mailBytes: (userId: string) => Promise<number> = async () => 0;
  /** Drive bytes of a user as the drive holds them in memory (set by DriveService; ahead of `_meta.json` between checkpoints). */
  driveTotal?: (userId: string) => Promise<number | undefined>;

  constructor(private readonly root: string, private readonly accounts: AccountService) {}

  /**
   * Bytes used (mail + drive) and the limit. Safe to call from inside the user's actor turn
   * (mail bytes come from a running total, never from a queued actor task). `mailBytes` may be
   * passed by a caller that already knows it (the mail store inside its own turn).
   */
  async usage(userId: string, mailBytes?: number): Promise<QuotaUsage> {
    const a = splitAddress(userId);
    if (!a) throw new NotFoundError('User not found');
    const rec = await this.accounts.get(a.user, a.domain);
    if (!rec) throw new NotFoundError('User not found');
    const [mail, drive] = await Promise.all([mailBytes ?? this.mailBytes(userId), this.driveBytes(userId)]);
    return { used: mail + drive, limit: rec.quota_mb * MIB, mail, drive };
  }

  /** Throw QuotaError when `bytes` more would exceed the user's quota (nothing is written). */
  async check(userId: string, bytes: number, mailBytes?: number): Promise<void> {
    if (bytes <= 0) return;
    const u = await this.usage(userId, mailBytes);
    if (u.used + bytes > u.limit) throw new QuotaError('Quota exceeded');
  }

  /** Adjust the drive total after a durable drive write (delta may be negative). */
  async addDrive(userId: string, delta: number): Promise<void> {
    const cur = await this.driveBytes(userId);
    this.drive.set(userId, Math.max(0, cur + delta));
  }

  /** Forget a user's cached totals (after the user is deleted). */
  forget(userId: string): void {
    this.drive.delete(userId);
  }

  private async driveBytes(userId: string): Promise<number> {
    const live = await this.driveTotal?.(userId);
    if (live !== undefined) return live;
    const hit = this.drive.get(userId);
    if (hit !== undefined) return hit;
    const a = splitAddress(userId);
    let bytes = 0;
    if (a) {
      const meta = await readJson<{ total_bytes?: unknown }>(driveMetaFile(this.root, a.domain, a.user)).catch(() => undefined);
      if (meta && typeof meta.total_bytes === 'number' && meta.total_bytes > 0) bytes = meta.total_bytes;
    }
    if (!this.drive.has(userId)) this.drive.set(userId, bytes);
    return this.drive.get(userId)!;
  }
}
