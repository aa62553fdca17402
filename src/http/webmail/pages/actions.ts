/**
 * The mail POST actions (each behind the session's CSRF token, web.ts):
 * /webmail/{folder}/{uid}/delete (to Trash; from Trash: expunge), /move (field `target`),
 * /toggle-read, /toggle-star, and /webmail/{folder}/bulk (fields `uid`..., `action` =
 * read|unread|star|unstar|delete|move, `target`, `back`). All end in a 303 redirect.
 */
import { HttpError } from '../../../common/errors.js';
import type { Reply } from '../../types.js';
import { type WebContext, type WebRequest, redirect } from '../web.js';
import { seg } from '../views/html.js';
import { backUrl, folders, specialFolder } from './mail-common.js';

/** Move to Trash, or expunge when already there. */
async function deleteUids(ctx: WebContext, userId: string, folder: string, uids: number[]): Promise<void> {
  const list = await ctx.services.mail.listFolders(userId);
  const trash = specialFolder(list, '\\Trash', 'Trash');
  if (folder === trash) await ctx.services.mail.expunge(userId, folder, uids);
  else await ctx.services.mail.move(userId, folder, uids, trash);
}

async function checkTarget(ctx: WebContext, w: WebRequest, target: string | null): Promise<string> {
  const list = await folders(ctx, w);
  const hit = target ? list.find((f) => f.name === target) : undefined;
  if (!hit) throw new HttpError(400, 'Choose an existing folder to move to');
  return hit.name;
}

/** One message's action. */
export async function messageAction(ctx: WebContext, w: WebRequest, name: string, uid: number, action: string): Promise<Reply> {
  const mail = ctx.services.mail;
  const userId = w.principal.id;
  const view = await mail.folder(userId, name);
  const folder = view.info.name;
  const meta = view.byUid(uid);
  if (!meta) throw new HttpError(404, 'No such message');
  const listUrl = `${ctx.base}/webmail/${seg(folder)}`;
  const msgUrl = `${listUrl}/${uid}`;
  switch (action) {
    case 'delete':
      await deleteUids(ctx, userId, folder, [uid]);
      return redirect(listUrl);
    case 'move':
      await mail.move(userId, folder, [uid], await checkTarget(ctx, w, w.form.get('target')));
      return redirect(listUrl);
    case 'toggle-read': {
      const seen = meta.flags.includes('\\Seen');
      await mail.setFlags(userId, folder, [uid], seen ? 'remove' : 'add', ['\\Seen']);
      return redirect(seen ? listUrl : msgUrl);
    }
    case 'toggle-star':
      await mail.setFlags(userId, folder, [uid], meta.flags.includes('\\Flagged') ? 'remove' : 'add', ['\\Flagged']);
      return redirect(msgUrl);
    default:
      throw new HttpError(404, 'Unknown action');
  }
}

const BULK_FLAGS: Record<string, ['add' | 'remove', string]> = {
  read: ['add', '\\Seen'], unread: ['remove', '\\Seen'], star: ['add', '\\Flagged'], unstar: ['remove', '\\Flagged'],
};

/** The bulk action on the checked rows. */
export async function bulkAction(ctx: WebContext, w: WebRequest, name: string): Promise<Reply> {
  const mail = ctx.services.mail;
  const userId = w.principal.id;
  const view = await mail.folder(userId, name);
  const folder = view.info.name;
  const back = backUrl(ctx, w.form.get('back'), `${ctx.base}/webmail/${seg(folder)}`);
  const raw = w.form.getAll('uid');
  if (raw.length > 5000) throw new HttpError(400, 'Too many messages selected');
  const uids = [...new Set(raw.filter((u) => /^[1-9]\d{0,9}$/.test(u)).map(Number))].filter((u) => view.byUid(u));
  if (raw.length !== 0 && uids.length === 0) throw new HttpError(404, 'No such message');
  if (uids.length === 0) return redirect(back);
  const action = w.form.get('action') ?? '';
  const flag = BULK_FLAGS[action];
  if (flag) await mail.setFlags(userId, folder, uids, flag[0], [flag[1]]);
  else if (action === 'delete') await deleteUids(ctx, userId, folder, uids);
  else if (action === 'move') await mail.move(userId, folder, uids, await checkTarget(ctx, w, w.form.get('target')));
  else throw new HttpError(400, 'Unknown bulk action');
  return redirect(back);
}
