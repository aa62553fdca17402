/**
 * `rmail verify [--fix]` (issue 9): check every on-disk structure under mail_root against the
 * layouts of reference.md and DESIGN.md — accounts, mail folder indexes, calendars, drive
 * `_index.json` totals, shares, the relay queue — and report each inconsistency. Each user is
 * checked holding that user's flock (safe while the server runs). `--fix` runs the areas' own
 * repair paths: a folder index is opened for writing (torn journal cut, leftovers removed,
 * rebuild from the message files when damaged) and a calendar is reloaded and compacted.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { withFileLock, readJson } from '../store/atomic.js';
import { domainDir, usersDir, userLockFile, mailFoldersFile, mailFolderDir, calendarsDir, calendarDir, driveDir, driveFilesDir, driveMetaFile, driveSharesFile, driveIndexLock, queueDir } from '../store/layout.js';
import { readAccount } from '../store/accounts.js';
import { readFolderList } from '../store/mail/folders.js';
import { listMessageUids, statMessage, indexFiles } from '../store/mail/files.js';
import { CalendarStore, listCalendarNames, eventsDir } from '../store/calendar.js';
import type { DirIndex, DriveMeta } from '../store/drive/types.js';
import { rebuildTree, walkTotals } from '../store/drive/reconcile.js';
import { settleDrive } from '../store/drive/replay.js';
import { readShare, type ShareRecord } from '../store/shares.js';
import { listQueueEntries } from '../store/queue.js';
import { FolderIndex } from '../actors/mail/folder-index.js';
import type { Config } from '../common/types.js';
import type { CliCommand } from './cli.js';

/** One finding: where, what, and whether --fix repaired it. */
export interface Issue {
  level: 'error' | 'warning';
  where: string;
  what: string;
  fixed?: boolean;
}

/** What one run looked at. */
export interface VerifyReport {
  issues: Issue[];
  checked: { users: number; folders: number; messages: number; calendars: number; events: number; driveDirs: number; shares: number; queue: number };
}

const ls = (dir: string): Promise<string[]> => fsp.readdir(dir).catch(() => [] as string[]);
const exists = (p: string): Promise<boolean> => fsp.stat(p).then(() => true, () => false);

/** Check (and with `fix`, repair) everything under `root`. */
export async function verifyMailRoot(root: string, opts: { fix?: boolean } = {}): Promise<VerifyReport> {
  const r: VerifyReport = { issues: [], checked: { users: 0, folders: 0, messages: 0, calendars: 0, events: 0, driveDirs: 0, shares: 0, queue: 0 } };
  for (const domain of await ls(join(root, 'domains'))) {
    if (!(await exists(domainDir(root, domain)))) continue;
    for (const user of await ls(usersDir(root, domain))) {
      r.checked.users++;
      await withFileLock(userLockFile(root, domain, user), () => verifyUser(root, domain, user, !!opts.fix, r));
    }
  }
  await verifyShares(root, r);
  await verifyQueue(root, r);
  return r;
}

async function verifyUser(root: string, domain: string, user: string, fix: boolean, r: VerifyReport): Promise<void> {
  const id = `${user}@${domain}`;
  const acct = await readAccount(root, domain, user).catch(() => undefined);
  if (!acct) r.issues.push({ level: 'error', where: id, what: 'account.json missing or unreadable' });
  else if (typeof acct.password_hash !== 'string' || typeof acct.enabled !== 'boolean') r.issues.push({ level: 'error', where: id, what: 'account.json lacks password_hash/enabled' });
  await verifyMail(root, domain, user, fix, r);
  await verifyCalendars(root, domain, user, fix, r);
  await withFileLock(driveIndexLock(root, domain, user), () => verifyDrive(root, domain, user, fix, r)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** Mail: each folder's index (snapshot + journal, read-only) against its `{uid}.eml` files. */
async function verifyMail(root: string, domain: string, user: string, fix: boolean, r: VerifyReport): Promise<void> {
  const list = await readFolderList(mailFoldersFile(root, domain, user)).catch(() => 'bad' as const);
  if (list === undefined) return;
  const id = `${user}@${domain}`;
  if (list === 'bad') {
    r.issues.push({ level: 'error', where: `${id} mail`, what: 'folders.json unreadable' });
    return;
  }
  const names = new Set<string>();
  for (const rec of list.folders) {
    r.checked.folders++;
    const where = `${id} mail/${rec.name}`;
    if (names.has(rec.name)) r.issues.push({ level: 'error', where, what: 'duplicate folder name in folders.json' });
    names.add(rec.name);
    if (rec.uidValidity > list.lastUidValidity) r.issues.push({ level: 'error', where, what: `UIDVALIDITY ${rec.uidValidity} above lastUidValidity ${list.lastUidValidity}` });
    const dir = mailFolderDir(root, domain, user, rec.id);
    const found = await checkFolder(dir, rec, where, r);
    if (fix && found) {
      // open repairs what it can; the public rebuild reconciles the index with the message files
      const idx = await FolderIndex.open(dir, rec);
      try {
        if (!idx.rebuilt) await idx.rebuild({ trusted: true });
      } finally {
        await idx.close();
      }
      const again: Issue[] = [];
      await checkFolder(dir, rec, where, { ...r, issues: again });
      for (const i of r.issues.slice(-found)) i.fixed = again.length === 0;
    }
  }
}

/** Returns how many issues it added. */
async function checkFolder(dir: string, rec: { id: string; name: string; uidValidity: number; specialUse: string | null; subscribed: boolean }, where: string, r: VerifyReport): Promise<number> {
  const before = r.issues.length;
  const files = indexFiles(dir);
  if (!(await exists(dir))) return 0;
  let idx: FolderIndex;
  try {
    idx = await FolderIndex.peek(dir, rec);
  } catch (err) {
    r.issues.push({ level: 'error', where, what: `index unreadable: ${(err as Error).message}` });
    return r.issues.length - before;
  }
  const snapOk = await fsp.readFile(files.snapshot).then(() => true, () => false);
  if (!snapOk && !(await exists(files.journal)) && idx.messages.length === 0 && (await listMessageUids(dir)).length > 0) {
    r.issues.push({ level: 'error', where, what: 'message files but no index' });
  }
  const onDisk = new Set(await listMessageUids(dir));
  const inIndex = new Set<number>();
  let prev = 0;
  for (const m of idx.messages) {
    r.checked.messages++;
    if (m.uid <= prev) r.issues.push({ level: 'error', where, what: `UIDs not ascending at ${m.uid}` });
    prev = m.uid;
    inIndex.add(m.uid);
    if (m.uid >= idx.info.uidNext) r.issues.push({ level: 'error', where, what: `uid ${m.uid} >= UIDNEXT ${idx.info.uidNext}` });
    const st = onDisk.has(m.uid) ? await statMessage(join(dir, `${m.uid}.eml`)) : null;
    if (st && st.size === m.size) continue;
    if (idx.restorable(m.uid)) {
      // a small APPEND's file is written without fsync: its journal line carries the bytes
      r.issues.push({ level: 'warning', where, what: `${m.uid}.eml lost in a crash (restored from its journal line when the folder is next opened)` });
    } else if (!st) {
      r.issues.push({ level: 'error', where, what: `uid ${m.uid} indexed but ${m.uid}.eml is missing` });
    } else {
      r.issues.push({ level: 'error', where, what: `uid ${m.uid} size ${m.size} in index, ${st.size} on disk` });
    }
  }
  for (const uid of onDisk) {
    if (inIndex.has(uid)) continue;
    // A file at or above UIDNEXT is an unacknowledged leftover of a crash (removed on next open).
    r.issues.push(uid >= idx.info.uidNext
      ? { level: 'warning', where, what: `unacknowledged leftover ${uid}.eml (removed when the folder is next opened)` }
      : { level: 'error', where, what: `${uid}.eml on disk but not in the index` });
  }
  return r.issues.length - before;
}

/** Calendars: index.json (+ journal) against events/*.ics. Loading replays the journal. */
async function verifyCalendars(root: string, domain: string, user: string, fix: boolean, r: VerifyReport): Promise<void> {
  const id = `${user}@${domain}`;
  for (const name of await listCalendarNames(calendarsDir(root, domain, user)).catch(() => [] as string[])) {
    r.checked.calendars++;
    const dir = calendarDir(root, domain, user, name);
    const where = `${id} calendars/${name}`;
    let store: CalendarStore | undefined;
    try {
      store = await CalendarStore.load(dir);
    } catch (err) {
      r.issues.push({ level: 'error', where, what: `index unreadable: ${(err as Error).message}` });
      continue;
    }
    if (!store) continue;
    const before = r.issues.length;
    const files = new Set((await ls(eventsDir(dir))).filter((f) => f.endsWith('.ics')).map((f) => f.slice(0, -4)));
    for (const [res, meta] of Object.entries(store.index.events)) {
      r.checked.events++;
      if (!files.has(res)) {
        r.issues.push({ level: 'error', where, what: `event ${res} indexed but ${res}.ics is missing` });
        continue;
      }
      const st = await fsp.stat(join(eventsDir(dir), `${res}.ics`));
      if (st.size !== meta.size) r.issues.push({ level: 'error', where, what: `event ${res} size ${meta.size} in index, ${st.size} on disk` });
    }
    for (const f of files) if (!store.index.events[f]) r.issues.push({ level: 'error', where, what: `${f}.ics on disk but not in index.json` });
    if (store.index.seq < Object.values(store.index.events).reduce((m, e) => Math.max(m, e.seq), 0)) {
      r.issues.push({ level: 'error', where, what: 'calendar seq below an event seq (sync token would go backwards)' });
    }
    if (fix && r.issues.length > before) {
      await store.compact();
      for (const i of r.issues.slice(before)) i.fixed = false;
    }
  }
}

/**
 * Drive: each `_index.json` against the directory it describes, totals against a fresh walk.
 * `--fix` recomputes every index and `_meta.json` from the files (store/drive/reconcile.ts rebuildTree).
 */
async function verifyDrive(root: string, domain: string, user: string, fix: boolean, r: VerifyReport): Promise<void> {
  // A live server keeps recent index changes in memory, covered by the drive journal: replay it
  // first (as the server's own checkpoint would), so only real damage is reported.
  await settleDrive(driveDir(root, domain, user));
  const before = r.issues.length;
  await checkDrive(root, domain, user, r);
  if (!fix || r.issues.length === before) return;
  await rebuildTree(driveFilesDir(root, domain, user), driveMetaFile(root, domain, user));
  const again: VerifyReport = { issues: [], checked: { ...r.checked } };
  await checkDrive(root, domain, user, again);
  for (const i of r.issues.slice(before)) i.fixed = again.issues.length === 0;
}

async function checkDrive(root: string, domain: string, user: string, r: VerifyReport): Promise<void> {
  const base = driveFilesDir(root, domain, user);
  if (!(await exists(base))) return;
  const id = `${user}@${domain}`;
  const rootIdx = await checkDriveDir(base, `${id} drive:/`, r);
  const meta = await readJson<DriveMeta>(driveMetaFile(root, domain, user)).catch(() => undefined);
  if (rootIdx && meta && (meta.total_files !== rootIdx.total_files || meta.total_bytes !== rootIdx.total_bytes || meta.total_dirs !== rootIdx.total_dirs)) {
    r.issues.push({ level: 'error', where: `${id} drive`, what: `_meta.json totals ${meta.total_files}/${meta.total_dirs}/${meta.total_bytes} differ from root _index.json ${rootIdx.total_files}/${rootIdx.total_dirs}/${rootIdx.total_bytes}` });
  }
}

async function checkDriveDir(dir: string, where: string, r: VerifyReport): Promise<DirIndex | undefined> {
  r.checked.driveDirs++;
  const idx = await readJson<DirIndex>(join(dir, '_index.json')).catch(() => undefined);
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).filter((d) => !d.name.startsWith('_') && !d.name.endsWith('.tmp'));
  if (!idx) {
    if (entries.length) r.issues.push({ level: 'error', where, what: '_index.json missing or unreadable' });
    for (const d of entries) if (d.isDirectory()) await checkDriveDir(join(dir, d.name), `${where}${d.name}/`, r);
    return undefined;
  }
  const names = new Set(entries.map((d) => d.name));
  let selfFiles = 0;
  let selfDirs = 0;
  let selfBytes = 0;
  for (const [name, e] of Object.entries(idx.children)) {
    if (!names.has(name)) {
      r.issues.push({ level: 'error', where, what: `${name} indexed but missing on disk` });
      continue;
    }
    if (e.type === 'file') {
      selfFiles++;
      selfBytes += e.size;
      const st = await fsp.stat(join(dir, name));
      if (!st.isFile()) r.issues.push({ level: 'error', where, what: `${name} indexed as a file but is not one` });
      else if (st.size !== e.size) r.issues.push({ level: 'error', where, what: `${name} size ${e.size} in index, ${st.size} on disk` });
    } else {
      selfDirs++;
      await checkDriveDir(join(dir, name), `${where}${name}/`, r);
    }
  }
  for (const n of names) if (!idx.children[n]) r.issues.push({ level: 'error', where, what: `${n} on disk but not in _index.json` });
  if (idx.self_files !== selfFiles || idx.self_dirs !== selfDirs || idx.self_bytes !== selfBytes) {
    r.issues.push({ level: 'error', where, what: `self totals ${idx.self_files}/${idx.self_dirs}/${idx.self_bytes} differ from children ${selfFiles}/${selfDirs}/${selfBytes}` });
  }
  const walk = await walkTotals(dir);
  if (idx.total_files !== walk.files || idx.total_dirs !== walk.dirs || idx.total_bytes !== walk.bytes) {
    r.issues.push({ level: 'error', where, what: `total ${idx.total_files}/${idx.total_dirs}/${idx.total_bytes} differ from a fresh walk ${walk.files}/${walk.dirs}/${walk.bytes}` });
  }
  return idx;
}

/** Shares: every record readable, its owner and target exist, and it is in the owner's index. */
async function verifyShares(root: string, r: VerifyReport): Promise<void> {
  const owners = new Map<string, Set<string>>();
  for (const shard of await ls(join(root, 'shares'))) {
    for (const f of await ls(join(root, 'shares', shard))) {
      if (!f.endsWith('.json')) continue;
      r.checked.shares++;
      const uid = f.slice(0, -5);
      const where = `share ${uid}`;
      const rec: ShareRecord | undefined = await readShare(root, uid).catch(() => undefined);
      if (!rec) {
        r.issues.push({ level: 'error', where, what: 'share record unreadable' });
        continue;
      }
      if (uid.slice(0, 2) !== shard) r.issues.push({ level: 'error', where, what: `in shard ${shard}` });
      const [user, domain] = rec.owner.split('@');
      if (!user || !domain || !(await readAccount(root, domain, user).catch(() => undefined))) {
        r.issues.push({ level: 'warning', where, what: `owner ${rec.owner} does not exist` });
        continue;
      }
      if (!(await exists(join(driveFilesDir(root, domain, user), ...rec.target_path.split('/'))))) {
        r.issues.push({ level: 'warning', where, what: `target ${rec.target_path} no longer exists` });
      }
      let own = owners.get(rec.owner);
      if (!own) {
        own = new Set(await readJson<string[]>(driveSharesFile(root, domain, user)).catch(() => undefined) ?? []);
        owners.set(rec.owner, own);
      }
      if (!own.has(uid)) r.issues.push({ level: 'error', where, what: `missing from ${rec.owner}'s _shares.json` });
    }
  }
}

/** Queue: every entry has its message file and every message file has its entry. */
async function verifyQueue(root: string, r: VerifyReport): Promise<void> {
  const names = await ls(queueDir(root));
  const entries = await listQueueEntries(root).catch(() => []);
  const ids = new Set(entries.map((e) => e.id));
  for (const e of entries) {
    r.checked.queue++;
    if (!names.includes(`${e.id}.eml`)) r.issues.push({ level: 'error', where: `queue ${e.id}`, what: 'entry without its .eml' });
  }
  for (const n of names) {
    const m = /^(.+)\.eml$/.exec(n);
    if (m && !ids.has(m[1]!)) r.issues.push({ level: 'warning', where: `queue ${m[1]}`, what: '.eml without an entry (an unacknowledged spool)' });
  }
}

/** `rmail verify [--fix]`: print each issue; exit status 1 while errors remain. */
export const verifyCommand: CliCommand = async (config: Config, p) => {
  const report = await verifyMailRoot(config.mail_root, { fix: p.flags.has('--fix') });
  for (const i of report.issues) console.log(`${i.level}\t${i.where}\t${i.what}${i.fixed === undefined ? '' : i.fixed ? '\t(fixed)' : '\t(not fixed)'}`);
  const c = report.checked;
  console.log(`checked ${c.users} users, ${c.folders} folders, ${c.messages} messages, ${c.calendars} calendars, ${c.events} events, ${c.driveDirs} drive dirs, ${c.shares} shares, ${c.queue} queued`);
  const errors = report.issues.filter((i) => i.level === 'error' && !i.fixed).length;
  if (errors) throw new Error(`${errors} errors`); // the CLI prints it and exits 1
  console.log('ok');
};
