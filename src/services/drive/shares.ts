/**
 * Public share links (reference.md "Sharing", CONTRACT.md share record). UIDs are 32 chars of
 * URL-safe base64 from a CSPRNG (24 random bytes). Records live in `shares/{uid[:2]}/{uid}.json`
 * plus the owner's `drive/_shares.json`; writes are turns of the owner's actor. `resolve`
 * refuses expired and revoked shares, so revocation is immediate.
 */
import { randomBytes } from 'node:crypto';
import { readShare, readOwnerShares, writeShare, deleteShare, type ShareRecord } from '../../store/shares.js';
import { HttpError, NotFoundError, ValidationError } from '../../common/errors.js';
import { splitAddress } from '../../common/names.js';
import { parseDrivePath, checkShareName, checkPermissions, isShareUid, joinDrivePath } from '../../common/drive-path.js';
import type { ActorRegistry } from '../../actors/registry.js';
import type { DriveService } from '../drive.js';

/** A share record as the API returns it (with its public URL). */
export type ShareView = ShareRecord & { url: string };

/** Fields a client may send when creating or updating a share. */
export interface ShareInput {
  target_path?: unknown;
  name?: unknown;
  permissions?: unknown;
  expires?: unknown;
}

/** Parse `expires`: ISO 8601, epoch seconds, or null. */
export function parseExpires(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new ValidationError('expires must be ISO 8601, epoch seconds or null');
  return d.toISOString();
}

/** A default link name from a file name: characters outside the allowed set become `_`. */
export function defaultShareName(last: string): string {
  const clean = last.replace(/[^A-Za-z0-9 ._\-()[\]]/g, '_').replace(/\.\.+/g, '.').slice(0, 128);
  return clean === '' || clean === '.' ? 'share' : clean;
}

/** Owners' share links. */
export class DriveShares {
  constructor(
    private readonly root: string,
    private readonly actors: ActorRegistry,
    private readonly drive: DriveService,
    private readonly publicUrl: () => string,
  ) {}

  private view(r: ShareRecord): ShareView {
    return { ...r, url: `${this.publicUrl().replace(/\/$/, '')}/drive/${r.uid}/${encodeURIComponent(r.name)}` };
  }

  /** Create a share of an existing file or folder (not the root). */
  async create(ownerId: string, input: ShareInput): Promise<ShareView> {
    const parts = parseDrivePath(input.target_path);
    if (parts.length === 0) throw new ValidationError('The drive root cannot be shared');
    const name = input.name === undefined || input.name === null ? defaultShareName(parts[parts.length - 1]!) : checkShareName(input.name);
    const permissions = checkPermissions(input.permissions ?? 'R');
    const expires = parseExpires(input.expires);
    const { user, domain } = splitAddress(ownerId)!;
    return this.actors.user(ownerId).mutate(async () => {
      if (!(await this.drive.stat(ownerId, parts))) throw new NotFoundError('Share target not found');
      const rec: ShareRecord = {
        uid: randomBytes(24).toString('base64url'), owner: ownerId, target_path: joinDrivePath(parts), name, permissions,
        created: new Date().toISOString(), expires,
      };
      await writeShare(this.root, domain, user, rec);
      return this.view(rec);
    });
  }

  /** Every share of the owner (expired ones included, so they can be revoked). */
  async list(ownerId: string): Promise<ShareView[]> {
    const { user, domain } = splitAddress(ownerId)!;
    const out: ShareView[] = [];
    for (const uid of await readOwnerShares(this.root, domain, user)) {
      const r = await readShare(this.root, uid);
      if (r && r.owner === ownerId) out.push(this.view(r));
    }
    return out;
  }

  /** One of the owner's shares (404 for anyone else's). */
  async get(ownerId: string, uid: string): Promise<ShareView> {
    return this.view(await this.owned(ownerId, uid));
  }

  private async owned(ownerId: string, uid: string): Promise<ShareRecord> {
    const r = isShareUid(uid) ? await readShare(this.root, uid) : undefined;
    if (!r || r.owner !== ownerId) throw new NotFoundError('Share not found');
    return r;
  }

  /** Update name, permissions and/or expiry. */
  async update(ownerId: string, uid: string, patch: ShareInput): Promise<ShareView> {
    if (patch.target_path !== undefined) throw new ValidationError('target_path cannot be changed');
    const name = patch.name === undefined ? undefined : checkShareName(patch.name);
    const permissions = patch.permissions === undefined ? undefined : checkPermissions(patch.permissions);
    const expires = patch.expires === undefined ? undefined : parseExpires(patch.expires);
    const { user, domain } = splitAddress(ownerId)!;
    return this.actors.user(ownerId).mutate(async () => {
      const r = await this.owned(ownerId, uid);
      const next: ShareRecord = { ...r, ...(name !== undefined && { name }), ...(permissions !== undefined && { permissions }), ...(expires !== undefined && { expires }) };
      await writeShare(this.root, domain, user, next);
      return this.view(next);
    });
  }

  /** Revoke (delete) a share. */
  async revoke(ownerId: string, uid: string): Promise<void> {
    const { user, domain } = splitAddress(ownerId)!;
    await this.actors.user(ownerId).mutate(async () => {
      await this.owned(ownerId, uid);
      await deleteShare(this.root, domain, user, uid);
    });
  }

  /** The live share for a public UID, or undefined (unknown, revoked or expired). */
  async resolve(uid: string): Promise<ShareRecord | undefined> {
    if (!isShareUid(uid)) return undefined;
    const r = await readShare(this.root, uid);
    if (!r) return undefined;
    if (r.expires !== null && Date.parse(r.expires) <= Date.now()) return undefined;
    return r;
  }

  /** Delete every share of a user (when the user is deleted). */
  async removeAll(ownerId: string): Promise<void> {
    const { user, domain } = splitAddress(ownerId)!;
    for (const uid of await readOwnerShares(this.root, domain, user)) await deleteShare(this.root, domain, user, uid);
  }

  /** 403 unless the share's permissions include `letter`. */
  static require(share: ShareRecord, letter: 'R' | 'C' | 'U' | 'D'): void {
    if (!share.permissions.includes(letter)) throw new HttpError(403, `This share does not allow this (needs ${letter})`);
  }
}
