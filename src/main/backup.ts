/**
 * `rmail backup DIR` and `rmail restore DIR` (issue 9). A backup is a copy of mail_root that is
 * consistent per user while the server runs: each user's tree is copied holding that user's flock
 * (and the drive's `_index.lock`), each domain's files holding the domain lock. Immutable files
 * (`{uid}.eml` messages, drive file contents — both only ever replaced by rename, never written in
 * place) are hard-linked when DIR is on the same file system; everything else is copied.
 * Restore copies a backup into an empty (or absent) mail_root, the server stopped.
 */
import { promises as fsp } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { withFileLock } from '../store/atomic.js';
import { settleDrive } from '../store/drive/replay.js';
import { domainLockFile, userLockFile, driveIndexLock, usersDir, driveFilesDir, driveDir } from '../store/layout.js';
import { ValidationError } from '../common/errors.js';
import type { Config } from '../common/types.js';
import type { CliCommand } from './cli.js';

const MANIFEST = 'rmail-backup.json';

interface Counts { files: number; linked: number; bytes: number }

const ls = (dir: string) => fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
const exists = (p: string): Promise<boolean> => fsp.stat(p).then(() => true, () => false);

/** Copy `src` to `dst` recursively; `linkable(path)` files are hard-linked when possible. Lock files are skipped. */
async function copyTree(src: string, dst: string, linkable: (p: string) => boolean, skip: (p: string) => boolean, c: Counts): Promise<void> {
  await fsp.mkdir(dst, { recursive: true });
  for (const d of await ls(src)) {
    const from = join(src, d.name);
    const to = join(dst, d.name);
    if (skip(from) || d.name === '.lock' || d.name === '_index.lock' || d.name.endsWith('.tmp')) continue;
    if (d.isDirectory()) await copyTree(from, to, linkable, skip, c);
    else if (d.isFile()) {
      const st = await fsp.stat(from).catch(() => null);
      if (!st) continue; // removed while we walked (a file outside any lock we hold)
      c.files++;
      c.bytes += st.size;
      if (linkable(from)) {
        try {
          await fsp.link(from, to);
          c.linked++;
          continue;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') continue;
          if (code !== 'EXDEV' && code !== 'EPERM') throw err;
        }
      }
      await fsp.copyFile(from, to).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}

/** Write a backup of `root` into the new or empty directory `dir`. */
export async function backupMailRoot(root: string, dir: string): Promise<{ users: number } & Counts> {
  if ((await ls(dir)).length) throw new ValidationError(`backup directory ${dir} is not empty`);
  const c: Counts = { files: 0, linked: 0, bytes: 0 };
  let users = 0;
  const isMessage = (p: string) => /\/mail\/f\/[^/]+\/[1-9][0-9]*\.eml$/.test(p.split(sep).join('/'));
  for (const d of await ls(join(root, 'domains'))) {
    if (!d.isDirectory()) continue;
    const domain = d.name;
    const ddir = join(root, 'domains', domain);
    const udir = usersDir(root, domain);
    await withFileLock(domainLockFile(root, domain), () =>
      copyTree(ddir, join(dir, 'domains', domain), () => false, (p) => p === udir, c));
    for (const u of await ls(udir)) {
      if (!u.isDirectory()) continue;
      users++;
      const user = u.name;
      const src = join(udir, user);
      const files = driveFilesDir(root, domain, user);
      const isDriveContent = (p: string) => p.startsWith(files + sep) && !relative(files, p).split(sep).some((s) => s.startsWith('_'));
      await withFileLock(userLockFile(root, domain, user), async () => {
        const copy = () => copyTree(src, join(dir, 'domains', domain, 'users', user), (p) => isMessage(p) || isDriveContent(p), () => false, c);
        // The drive journal is replayed first: a live server's latest index changes are in memory and in it.
        if (await exists(files)) await withFileLock(driveIndexLock(root, domain, user), async () => (await settleDrive(driveDir(root, domain, user)), copy()));
        else await copy();
      });
    }
  }
  for (const top of await ls(root)) {
    if (top.name === 'domains' || top.name === 'tmp' || !top.isDirectory()) continue;
    await copyTree(join(root, top.name), join(dir, top.name), () => false, () => false, c);
  }
  await fsp.writeFile(join(dir, MANIFEST), JSON.stringify({ version: 1, created: new Date().toISOString(), source: root, users, ...c }, null, 2));
  return { users, ...c };
}

/** Restore a backup into `root`, which must be absent or empty. */
export async function restoreMailRoot(dir: string, root: string): Promise<Counts> {
  if (!(await exists(join(dir, MANIFEST)))) throw new ValidationError(`${dir} is not an rmail backup (no ${MANIFEST})`);
  if ((await ls(root)).length) throw new ValidationError(`mail_root ${root} is not empty; restore into an empty one (server stopped)`);
  const c: Counts = { files: 0, linked: 0, bytes: 0 };
  await copyTree(dir, root, () => false, (p) => p === join(dir, MANIFEST), c);
  return c;
}

/** `rmail backup DIR`. */
export const backupCommand: CliCommand = async (config: Config, p) => {
  const dir = p.positional[1];
  if (!dir) throw new ValidationError('usage: rmail backup DIR');
  const r = await backupMailRoot(config.mail_root, dir);
  console.log(`backed up ${r.users} users: ${r.files} files (${r.linked} hard-linked), ${r.bytes} bytes -> ${dir}`);
};

/** `rmail restore DIR`. */
export const restoreCommand: CliCommand = async (config: Config, p) => {
  const dir = p.positional[1];
  if (!dir) throw new ValidationError('usage: rmail restore DIR');
  const r = await restoreMailRoot(dir, config.mail_root);
  console.log(`restored ${r.files} files, ${r.bytes} bytes into ${config.mail_root}`);
};
