/**
 * /folders (reference.md "GET /folders"; CONTRACT.md): list, create, rename, delete.
 * The folder name is one path segment; nested names arrive URL-encoded (`a%2Fb`).
 */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import type { FolderInfo } from '../../common/mail.js';
import { json, readJsonObject, principalOf } from '../reply.js';
import { ValidationError } from '../../common/errors.js';

/** The API shape of a folder. */
export const folderJson = (f: FolderInfo) => ({
  name: f.name, total: f.total, unread: f.unread, special_use: f.specialUse, subscribed: f.subscribed,
  uidvalidity: f.uidValidity, uidnext: f.uidNext,
});

function nameOf(body: Record<string, unknown>): string {
  if (typeof body.name !== 'string') throw new ValidationError('name must be a string');
  return body.name;
}

/** Register /folders routes. */
export function registerFolderRoutes(router: Router, { mail }: Services): void {
  router.on('GET', '/folders', { auth: 'user' }, async (req) => {
    const folders = await mail.listFolders(principalOf(req).id);
    return json(200, { folders: folders.map(folderJson) });
  });

  router.on('POST', '/folders', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const body = await readJsonObject(req, 16 * 1024);
    return json(201, folderJson(await mail.createFolder(id, nameOf(body))));
  });

  router.on('PATCH', '/folders/:folder', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const body = await readJsonObject(req, 16 * 1024);
    const to = nameOf(body);
    await mail.renameFolder(id, req.params.folder!, to);
    return json(200, folderJson((await mail.folder(id, to)).info));
  });

  router.on('DELETE', '/folders/:folder', { auth: 'user' }, async (req) => {
    await mail.deleteFolder(principalOf(req).id, req.params.folder!);
    return json(200, { deleted: req.params.folder });
  });
}
