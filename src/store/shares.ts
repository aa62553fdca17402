/**
 * Public share records (reference.md "Storage layout for shares"): one file per share at
 * `{mail_root}/shares/{uid[:2]}/{uid}.json` (O(1) lookup by UID) and the owner's
 * `drive/_shares.json`, a JSON array of that owner's UIDs (O(N_owner) listing).
 * Writers hold the owner's actor; each file is written durably.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { readJson, writeJsonDurable, fsyncDir } from './atomic.js';
import { shareFile, driveSharesFile } from './layout.js';

/** A share as stored (the public `url` is added by the service). */
export interface ShareRecord {
  uid: string;
  owner: string;
  target_path: string;
  name: string;
  permissions: string;
  /** ISO 8601 UTC. */
  created: string;
  /** ISO 8601 UTC or null (never expires). */
  expires: string | null;
}

/** Read one share by UID (undefined when absent). */
export const readShare = (root: string, uid: string): Promise<ShareRecord | undefined> => readJson<ShareRecord>(shareFile(root, uid));

/** The owner's list of share UIDs. */
export async function readOwnerShares(root: string, domain: string, user: string): Promise<string[]> {
  return (await readJson<string[]>(driveSharesFile(root, domain, user))) ?? [];
}

/** Write a share record and add its UID to the owner's index. */
export async function writeShare(root: string, domain: string, user: string, rec: ShareRecord): Promise<void> {
  await writeJsonDurable(shareFile(root, rec.uid), rec);
  const uids = await readOwnerShares(root, domain, user);
  if (!uids.includes(rec.uid)) {
    uids.push(rec.uid);
    await writeJsonDurable(driveSharesFile(root, domain, user), uids);
  }
}

/** Delete a share record and drop its UID from the owner's index. */
export async function deleteShare(root: string, domain: string, user: string, uid: string): Promise<void> {
  const file = shareFile(root, uid);
  await fsp.rm(file, { force: true });
  await fsyncDir(dirname(file)).catch(() => {});
  const uids = await readOwnerShares(root, domain, user);
  if (uids.includes(uid)) await writeJsonDurable(driveSharesFile(root, domain, user), uids.filter((u) => u !== uid));
}
