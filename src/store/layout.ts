/** Every path under mail_root is built here (reference.md's on-disk layouts). */
import { join } from 'node:path';

/** `{root}/domains/{domain}` */
export const domainDir = (root: string, domain: string): string => join(root, 'domains', domain);
/** `{root}/domains/{domain}/users` */
export const usersDir = (root: string, domain: string): string => join(domainDir(root, domain), 'users');
/** `{root}/domains/{domain}/users/{user}` */
export const userDir = (root: string, domain: string, user: string): string => join(usersDir(root, domain), user);
/** The account record: password hash, admin, enabled, quota_mb, created. */
export const accountFile = (root: string, domain: string, user: string): string => join(userDir(root, domain, user), 'account.json');
/** The user's sidecar lock file (flock around every mutation of the user's files). */
export const userLockFile = (root: string, domain: string, user: string): string => join(userDir(root, domain, user), '.lock');
/** The domain's lock file (user creation and deletion, aliases). */
export const domainLockFile = (root: string, domain: string): string => join(domainDir(root, domain), '.lock');
/** The domain's regex alias rules. */
export const aliasesFile = (root: string, domain: string): string => join(domainDir(root, domain), 'aliases.json');
/** The user's webmail preferences (calendar_visible.{name}, ...). */
export const preferencesFile = (root: string, domain: string, user: string): string => join(userDir(root, domain, user), 'preferences.json');
/** The user's mail store. */
export const mailDir = (root: string, domain: string, user: string): string => join(userDir(root, domain, user), 'mail');
/** The user's folder list: `mail/folders.json` (id, name, special-use, subscribed, uidValidity). */
export const mailFoldersFile = (root: string, domain: string, user: string): string => join(mailDir(root, domain, user), 'folders.json');
/** One folder's directory, keyed by its stable id: `mail/f/{id}/` ({uid}.eml, index.snap, index.log, summaries.jsonl). */
export const mailFolderDir = (root: string, domain: string, user: string, id: string): string => join(mailDir(root, domain, user), 'f', id);
/** The user's calendars: `calendars/{name}/calendar.json, index.json, events/{uid}.ics`. */
export const calendarsDir = (root: string, domain: string, user: string): string => join(userDir(root, domain, user), 'calendars');
/** One calendar collection: `calendars/{cal}/` (calendar.json, index.json, index.journal, events/). */
export const calendarDir = (root: string, domain: string, user: string, cal: string): string => join(calendarsDir(root, domain, user), cal);
/** The reminder scheduler's durable record of reminders already sent. */
export const remindersStateFile = (root: string): string => join(systemDir(root), 'reminders.json');
/** The user's drive: `drive/_meta.json`, `drive/_shares.json`, `drive/files/...`. */
export const driveDir = (root: string, domain: string, user: string): string => join(userDir(root, domain, user), 'drive');
/** The drive's file tree root: `drive/files/` (each directory holds `_index.json`). */
export const driveFilesDir = (root: string, domain: string, user: string): string => join(driveDir(root, domain, user), 'files');
/** `drive/_meta.json`: ctag, sync_token and the drive's totals. */
export const driveMetaFile = (root: string, domain: string, user: string): string => join(driveDir(root, domain, user), '_meta.json');
/** `drive/_shares.json`: the per-owner index of share UIDs. */
export const driveSharesFile = (root: string, domain: string, user: string): string => join(driveDir(root, domain, user), '_shares.json');
/** `drive/files/_index.lock`: flock sidecar held while indexes are updated. */
export const driveIndexLock = (root: string, domain: string, user: string): string => join(driveFilesDir(root, domain, user), '_index.lock');
/** `{root}/shares/{uid[:2]}/{uid}.json` */
export const shareFile = (root: string, uid: string): string => join(root, 'shares', uid.slice(0, 2), `${uid}.json`);
/** The durable outbound relay queue. */
export const queueDir = (root: string): string => join(root, 'queue');
/** One queued message's state: `queue/{id}.json` (its presence makes the entry exist). */
export const queueEntryFile = (root: string, id: string): string => join(queueDir(root), `${id}.json`);
/** One queued message's bytes, DKIM-signed: `queue/{id}.eml`. */
export const queueMessageFile = (root: string, id: string): string => join(queueDir(root), `${id}.eml`);
/** Marker the CLI touches to make the running server retry every queued message now. */
export const queueFlushFile = (root: string): string => join(queueDir(root), 'flush');
/** A domain's DKIM private key (PEM), made on first start: `tls/dkim/{domain}.pem`. */
export const dkimKeyFile = (root: string, domain: string): string => join(root, 'tls', 'dkim', `${domain}.pem`);
/** The self-signed TLS pair and DKIM keys. */
export const tlsDir = (root: string): string => join(root, 'tls');
/** Server-wide state (reminder bookkeeping, ...). */
export const systemDir = (root: string): string => join(root, 'system');
/** Scratch space for uploads and literals being received (same file system as the store). */
export const tmpDir = (root: string): string => join(root, 'tmp');
