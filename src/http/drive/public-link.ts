/**
 * Public share links (reference.md "Sharing", "Path-traversal safety in shares"): resolve
 * `/drive/{uid}/{name}/{subpath}` to the owner's drive. The UID alone selects the share (the
 * name is decorative, but validated); the disk path is always target_path + a DrivePath-checked
 * subpath, so it never leaves the shared subtree. A browser (text/html in Accept) opening a
 * shared directory is sent to the webmail file manager instead of JSON.
 */
import { HttpError } from '../../common/errors.js';
import { checkDrivePath, checkShareName, parseDrivePath, MAX_DEPTH } from '../../common/drive-path.js';
import type { ShareRecord } from '../../store/shares.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';

/** A request resolved through a live share. */
export interface ShareTarget {
  userId: string;
  parts: string[];
  sub: string[];
  base: string;
  share: ShareRecord;
}

/** The share target for `rest` = [uid, name?, ...subpath], or undefined for no live share. */
export async function resolveShareTarget(rest: string[], s: Services): Promise<ShareTarget | undefined> {
  const uid = rest[0]!;
  const share = await s.drive.shares.resolve(uid);
  if (!share) return undefined;
  const name = rest[1] ?? share.name;
  checkShareName(name);
  const sub = checkDrivePath(rest.slice(2));
  const parts = [...parseDrivePath(share.target_path), ...sub];
  if (parts.length > MAX_DEPTH) throw new HttpError(400, `Path deeper than ${MAX_DEPTH} components`);
  return { userId: share.owner, parts, sub, base: `/drive/${uid}/${encodeURIComponent(name)}`, share };
}

/** 302 to `/webmail/drive/{uid}/{name}/...` when a browser opens a shared directory, else null. */
export function browserRedirect(req: HttpRequest, t: { share?: ShareRecord; base: string; sub: string[] }): Reply | null {
  if (!t.share || !(req.headers['accept'] ?? '').includes('text/html')) return null;
  return { status: 302, headers: { location: `/webmail${t.base}${t.sub.map((p) => `/${encodeURIComponent(p)}`).join('')}` } };
}
