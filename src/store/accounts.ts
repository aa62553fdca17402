/** Account records in reference.md's layout: domains/{domain}/users/{user}/account.json. */
import { promises as fsp } from 'node:fs';
import { accountFile, usersDir, userDir, aliasesFile } from './layout.js';
import { readJson, writeJsonDurable, fsyncDir } from './atomic.js';
import { dirname } from 'node:path';

/** The stored account record. */
export interface AccountRecord {
  username: string;
  domain: string;
  /** `scrypt$N$r$p$saltB64$hashB64` */
  password_hash: string;
  admin: boolean;
  enabled: boolean;
  quota_mb: number;
  created: string;
}

/** An alias rule: a regex over the local part, and the local user it resolves to. */
export interface AliasRule {
  pattern: string;
  target: string;
}

/** Read one account, or undefined. */
export const readAccount = (root: string, domain: string, user: string): Promise<AccountRecord | undefined> =>
  readJson<AccountRecord>(accountFile(root, domain, user));

/** Write one account durably (called by the domain/user actor or the CLI). */
export const writeAccount = (root: string, rec: AccountRecord): Promise<void> =>
  writeJsonDurable(accountFile(root, rec.domain, rec.username), rec);

/** The usernames with an account in `domain`, sorted. */
export async function listUsernames(root: string, domain: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(usersDir(root, domain));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    if (await fsp.stat(accountFile(root, domain, n)).then(() => true, () => false)) out.push(n);
  }
  return out;
}

/**
 * Remove a user and all their data. The account file goes first (durably), so a crash
 * midway leaves no half-account that can log in; the rest is then removed.
 */
export async function removeUser(root: string, domain: string, user: string): Promise<void> {
  const dir = userDir(root, domain, user);
  await fsp.rm(accountFile(root, domain, user), { force: true });
  await fsyncDir(dir).catch(() => {});
  const graveyard = `${dir}.deleted-${Date.now()}`;
  await fsp.rename(dir, graveyard).catch(() => {});
  await fsyncDir(dirname(dir)).catch(() => {});
  await fsp.rm(graveyard, { recursive: true, force: true });
}

/** The domain's alias rules (empty when none). */
export async function readAliases(root: string, domain: string): Promise<AliasRule[]> {
  return (await readJson<AliasRule[]>(aliasesFile(root, domain))) ?? [];
}

/** Replace the domain's alias rules durably. */
export const writeAliases = (root: string, domain: string, rules: AliasRule[]): Promise<void> =>
  writeJsonDurable(aliasesFile(root, domain), rules);
