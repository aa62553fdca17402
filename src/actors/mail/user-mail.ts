/**
 * One user's mail in memory: the folder list (`mail/folders.json`) and the open folder indexes.
 * Lives in the user's actor (`actor.state`); every method that writes runs inside `mutate`.
 * The special-use folders are created on first load, so accounts made any way have them.
 */
import { statSync } from 'node:fs';
import { mailFoldersFile, mailFolderDir } from '../../store/layout.js';
import { migrateSubscriptions, readFolderList, writeFolderList, type FolderList, type FolderRecord } from '../../store/mail/folders.js';
import { makeFolderDir, removeFolderDir, sameFile } from '../../store/mail/files.js';
import { DEFAULT_FOLDERS, SEPARATOR, canonicalFolderName, isSameOrBelow } from '../../common/folder-name.js';
import { ConflictError, NotFoundError, ValidationError } from '../../common/errors.js';
import { splitAddress } from '../../common/names.js';
import { FolderIndex } from './folder-index.js';

/** Identity of folders.json (synchronous stat: one cached-inode call, checked every actor turn). */
const listStamp = (path: string): string => {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
  } catch {
    return '';
  }
};

/** Most subscribed names that are no folder (SUBSCRIBE of more is refused: the list stays small). */
export const MAX_NAMES_SUBSCRIBED_NOT_FOLDERS = 1_000;

/** The key of the UserMail in `actor.state`. */
export const MAIL_STATE = 'mail';

/** A user's folders and open indexes. */
export class UserMail {
  private readonly indexes = new Map<string, FolderIndex>();
  /** Identity of the folders.json we last read or wrote (inode:size:mtime). */
  private stamp = '';
  /** The path of folders.json. */
  private readonly listPath: string;

  private constructor(
    private readonly root: string,
    private readonly domain: string,
    private readonly user: string,
    private list: FolderList,
  ) {
    this.listPath = mailFoldersFile(root, domain, user);
  }

  /** Load the folder list, creating the mail store and special-use folders when missing. Inside `mutate`. */
  static async load(root: string, userId: string): Promise<UserMail> {
    const a = splitAddress(userId);
    if (!a) throw new NotFoundError('User not found');
    const path = mailFoldersFile(root, a.domain, a.user);
    let list = await readFolderList(path);
    const fresh = !list;
    list ??= { v: 1, nextId: 1, lastUidValidity: 0, folders: [], subscriptions: [] };
    const migrated = migrateSubscriptions(list);
    const um = new UserMail(root, a.domain, a.user, list);
    let changed = fresh || migrated;
    for (const d of DEFAULT_FOLDERS) {
      if (!um.find(d.name)) {
        await um.addRecord(d.name, d.specialUse, false);
        changed = true;
      }
    }
    if (changed) await um.save();
    else um.stamp = listStamp(path);
    return um;
  }

  /** Every folder record, in creation order. */
  folders(): readonly FolderRecord[] {
    return this.list.folders;
  }

  /** The record of a folder by name (INBOX case-insensitive), or undefined. */
  find(name: string): FolderRecord | undefined {
    const n = canonicalFolderName(name);
    return this.list.folders.find((f) => f.name === n);
  }

  /** The record of a folder or NotFoundError. */
  require(name: string): FolderRecord {
    const rec = this.find(name);
    if (!rec) throw new NotFoundError(`Folder not found: ${name}`);
    return rec;
  }

  /** The index if it is open (lock-free readers use this). */
  openIndex(id: string): FolderIndex | undefined {
    return this.indexes.get(id);
  }

  /**
   * The open index of a folder when no other process wrote it since (synchronous: no await on
   * the common path of a write); undefined means: use `index`. Inside the actor.
   */
  currentIndex(rec: FolderRecord): FolderIndex | undefined {
    const idx = this.indexes.get(rec.id);
    return idx?.isCurrent() ? idx : undefined;
  }

  /** Open (or get, refreshed against other processes' writes) a folder's index. Inside the actor. */
  async index(rec: FolderRecord): Promise<FolderIndex> {
    let idx = this.indexes.get(rec.id);
    if (idx) {
      if (await idx.refresh()) await this.settleMoves(idx);
    } else {
      idx = await FolderIndex.open(this.dir(rec.id), rec);
      // A store written before the \Recent floor was kept: nothing in it so far is \Recent
      // (saved with the next write of the list).
      if (rec.recent === undefined) idx.info.recent = rec.recent = idx.info.uidNext;
      this.indexes.set(rec.id, idx);
      await this.settleMoves(idx);
    }
    return idx;
  }

  /**
   * Finish the MOVEs a crash cut short (intents still pending in `src`'s journal): a message the
   * destination holds — its index lists the planned uid and that file is a hard link of the
   * source's — is expunged from the source (rolled forward); any other stays (rolled back).
   * Either way each message ends up in exactly one folder and nothing acknowledged is lost.
   */
  private async settleMoves(src: FolderIndex): Promise<void> {
    for (const mv of src.pendingMoves()) {
      const rec = this.list.folders.find((f) => f.id === mv.to);
      const forward: number[] = [];
      if (rec && rec.id !== src.info.id) {
        const dst = await this.index(rec);
        for (let i = 0; i < mv.uids.length; i++) {
          const u = mv.uids[i]!;
          const k = mv.dst[i]!;
          if (src.byUid(u) && dst.byUid(k) && (await sameFile(src.file(u), dst.file(k)))) forward.push(u);
        }
      }
      await src.expunge(forward, mv.id);
    }
  }

  /** The directory of a folder id. */
  dir(id: string): string {
    return mailFolderDir(this.root, this.domain, this.user, id);
  }

  private async addRecord(name: string, specialUse: string | null, save = true): Promise<FolderRecord> {
    const id = String(this.list.nextId++);
    const uidValidity = Math.max(Math.floor(Date.now() / 1000), this.list.lastUidValidity + 1) % 0xffffffff || 1;
    this.list.lastUidValidity = uidValidity;
    const rec: FolderRecord = { id, name, specialUse, subscribed: true, uidValidity, recent: 1 };
    await makeFolderDir(this.dir(id));
    this.list.folders.push(rec);
    const subs = this.subs();
    if (!subs.includes(name)) subs.push(name);
    if (save) await this.save();
    return rec;
  }

  /** The subscribed names (the stored list; a store from before it was migrated on load). */
  private subs(): string[] {
    return (this.list.subscriptions ??= []);
  }

  /** Subscribed names, folders or not (RFC 3501 6.3.6), in the order they were subscribed. */
  subscriptions(): readonly string[] {
    return this.subs();
  }

  /** Set each record's (and open index's) `subscribed` from the subscription list. */
  private mirrorSubscriptions(): void {
    const subs = new Set(this.subs());
    for (const rec of this.list.folders) {
      rec.subscribed = subs.has(rec.name);
      const idx = this.indexes.get(rec.id);
      if (idx) idx.info.subscribed = rec.subscribed;
    }
  }

  private async save(): Promise<void> {
    this.mirrorSubscriptions();
    await writeFolderList(this.listPath, this.list);
    this.stamp = listStamp(this.listPath);
  }

  /** True when no other process changed the folder list since we last read or wrote it (synchronous). */
  isCurrent(): boolean {
    return listStamp(this.listPath) === this.stamp;
  }

  /** Re-read the folder list when another process changed it (inside the actor turn). */
  async refresh(): Promise<void> {
    const now = listStamp(this.listPath);
    if (now === this.stamp) return;
    const list = await readFolderList(this.listPath);
    if (!list) return;
    migrateSubscriptions(list);
    this.list = list;
    this.stamp = now;
    for (const [id, idx] of this.indexes) {
      const rec = list.folders.find((f) => f.id === id);
      if (!rec) {
        this.indexes.delete(id);
        await idx.close();
      } else {
        idx.rename(rec.name);
        idx.info.subscribed = rec.subscribed;
      }
    }
  }

  /** Create a folder and any missing parents; answers the records created. ConflictError if it exists. */
  async create(name: string, specialUse: string | null): Promise<FolderRecord[]> {
    if (this.find(name)) throw new ConflictError(`Folder already exists: ${name}`);
    const parts = name.split(SEPARATOR);
    const made: FolderRecord[] = [];
    for (let i = 1; i <= parts.length; i++) {
      const n = parts.slice(0, i).join(SEPARATOR);
      if (this.find(n)) continue;
      made.push(await this.addRecord(n, i === parts.length ? specialUse : null, false));
    }
    await this.save();
    return made;
  }

  /** Rename a folder and its children; answers [old, new] names. Special-use folders stay. */
  async rename(from: string, to: string): Promise<[string, string][]> {
    const rec = this.require(from);
    if (rec.name === 'INBOX' || rec.specialUse) throw new ValidationError(`Folder ${rec.name} cannot be renamed`);
    if (this.find(to)) throw new ConflictError(`Folder already exists: ${to}`);
    if (isSameOrBelow(to, rec.name)) throw new ValidationError('Cannot rename a folder into itself');
    const moved = this.list.folders.filter((f) => isSameOrBelow(f.name, rec.name));
    const pairs: [string, string][] = moved.map((f) => [f.name, to + f.name.slice(rec.name.length)]);
    const clash = pairs.find(([, n]) => this.find(n));
    if (clash) throw new ConflictError(`Folder already exists: ${clash[1]}`);
    const toParts = to.split(SEPARATOR);
    const parents: string[] = [];
    for (let i = 1; i < toParts.length; i++) {
      const n = toParts.slice(0, i).join(SEPARATOR);
      if (!this.find(n)) parents.push(n);
    }
    const before = this.list.folders.map((f) => ({ ...f }));
    const subsBefore = [...this.subs()];
    moved.forEach((f, i) => { f.name = pairs[i]![1]; });
    // The subscriptions go with the names (as Dovecot does; a subscribed child too).
    const renamed = new Map(pairs);
    this.list.subscriptions = this.subs().map((n) => renamed.get(n) ?? n).filter((n, i, a) => a.indexOf(n) === i);
    try {
      for (const p of parents) await this.addRecord(p, null, false);
      await this.save();
    } catch (err) {
      this.list.folders = before;
      this.list.subscriptions = subsBefore;
      throw err;
    }
    for (const f of moved) this.indexes.get(f.id)?.rename(f.name);
    return pairs;
  }

  /**
   * Delete one folder (children stay); its directory is removed after the list is saved. Its
   * subscription stays (RFC 3501 6.3.6: not removed unilaterally).
   */
  async remove(name: string): Promise<FolderRecord> {
    const rec = this.require(name);
    if (rec.name === 'INBOX' || rec.specialUse) throw new ValidationError(`Folder ${rec.name} cannot be deleted`);
    this.list.folders = this.list.folders.filter((f) => f.id !== rec.id);
    await this.save();
    const idx = this.indexes.get(rec.id);
    this.indexes.delete(rec.id);
    await idx?.close();
    await removeFolderDir(this.dir(rec.id));
    return rec;
  }

  /** Subscribe or unsubscribe a name, a folder or not (RFC 3501 6.3.6-7). */
  async subscribe(name: string, subscribed: boolean): Promise<void> {
    const n = canonicalFolderName(name);
    const subs = this.subs();
    const at = subs.indexOf(n);
    if ((at >= 0) === subscribed) return;
    if (subscribed && !this.find(n)) {
      const folders = new Set(this.list.folders.map((f) => f.name));
      if (subs.filter((s) => !folders.has(s)).length >= MAX_NAMES_SUBSCRIBED_NOT_FOLDERS) {
        throw new ValidationError(`Too many subscribed names that are no folder (${MAX_NAMES_SUBSCRIBED_NOT_FOLDERS})`);
      }
    }
    const before = [...subs];
    if (subscribed) subs.push(n);
    else subs.splice(at, 1);
    try {
      await this.save();
    } catch (err) {
      this.list.subscriptions = before;
      this.mirrorSubscriptions();
      throw err;
    }
  }

  /**
   * Raise folders' \Recent floors (folder id -> first uid no session was told about; never
   * lowered; folders gone are skipped). Saves the list when one moved.
   */
  async saveRecent(floors: ReadonlyMap<string, number>): Promise<void> {
    let changed = false;
    for (const rec of this.list.folders) {
      const n = floors.get(rec.id);
      if (n === undefined || (rec.recent ?? 0) >= n) continue;
      rec.recent = n;
      const idx = this.indexes.get(rec.id);
      if (idx) idx.info.recent = n;
      changed = true;
    }
    if (changed) await this.save();
  }

  /**
   * Bytes of every message of the user (opens every folder's index once). Inside the actor.
   * Indexes already open count as they are (no stat per folder per append): a write by another
   * process to a folder this one has open shows in the total once that folder is next used here.
   */
  async totalBytes(): Promise<number> {
    let n = 0;
    for (const rec of this.list.folders) n += (this.indexes.get(rec.id) ?? (await this.index(rec))).bytes;
    return n;
  }

  /**
   * Compact every folder whose journal carries message bytes (their files fsync'd first), opening
   * the folders not open yet (a fresh process: the journals a previous one left). Inside the actor.
   */
  async checkpoint(): Promise<void> {
    for (const rec of this.list.folders) {
      const idx = await this.index(rec);
      if (idx.holdsInline) await idx.compact();
    }
  }

  /** Close the journal files of every open index (idle; they reopen on the next write). */
  async closeLogs(): Promise<void> {
    for (const idx of this.indexes.values()) await idx.closeLog();
  }

  /** Close every open index. */
  async close(): Promise<void> {
    for (const idx of this.indexes.values()) await idx.close();
    this.indexes.clear();
  }
}
