/**
 * Running totals of each user's mail bytes (the mail half of the quota), answered without
 * waiting for the user's actor, so a quota check from inside any actor turn cannot deadlock.
 * Unknown totals are computed read-only from the indexes on disk; a write generation keeps a
 * recount that raced with a write from being stored.
 */
import { FolderIndex } from '../actors/mail/folder-index.js';
import { readFolderList } from '../store/mail/folders.js';
import { mailFoldersFile, mailFolderDir } from '../store/layout.js';
import { splitAddress } from '../common/names.js';

/** Per-user mail byte totals. */
export class MailBytes {
  private readonly bytes = new Map<string, number>();
  private readonly generation = new Map<string, number>();

  /** `openIndex` gives a folder's live index when it is loaded (its total is exact). */
  constructor(
    private readonly root: string,
    private readonly openIndex: (userId: string, folderId: string) => FolderIndex | undefined,
  ) {}

  /** Adjust after a durable write; `null` means "unknown, recount when next asked". */
  touched(userId: string, delta: number | null): void {
    this.generation.set(userId, (this.generation.get(userId) ?? 0) + 1);
    const cur = this.bytes.get(userId);
    if (cur === undefined) return;
    if (delta === null) this.bytes.delete(userId);
    else this.bytes.set(userId, cur + delta);
  }

  /** Record an exact total (computed inside the user's actor turn). */
  set(userId: string, n: number): void {
    this.bytes.set(userId, n);
  }

  /** The user's mail bytes. */
  async get(userId: string): Promise<number> {
    const hit = this.bytes.get(userId);
    if (hit !== undefined) return hit;
    const a = splitAddress(userId);
    if (!a) return 0;
    const gen = this.generation.get(userId) ?? 0;
    const list = await readFolderList(mailFoldersFile(this.root, a.domain, a.user));
    let total = 0;
    for (const rec of list?.folders ?? []) {
      const open = this.openIndex(userId, rec.id);
      total += open ? open.bytes : (await FolderIndex.peek(mailFolderDir(this.root, a.domain, a.user, rec.id), rec)).bytes;
    }
    if ((this.generation.get(userId) ?? 0) === gen) this.bytes.set(userId, total);
    return total;
  }
}
