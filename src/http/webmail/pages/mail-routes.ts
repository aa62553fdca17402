/** Routes of the mail screens (registered after every other /webmail/ route: `:folder` is a catch-all). */
import type { Router } from '../../router.js';
import { type WebContext, page, redirect } from '../web.js';
import { HttpError } from '../../../common/errors.js';
import { folderPage } from './folder.js';
import { messagePage, partDownload, rawSource } from './message.js';
import { messageAction, bulkAction } from './actions.js';
import { composePage, composeSubmit } from './compose.js';
import { uidParam } from './mail-common.js';

const ACTIONS = ['delete', 'move', 'toggle-read', 'toggle-star'];

/** Register compose, folder, message, part and action routes. */
export function registerMailRoutes(router: Router, ctx: WebContext): void {
  router.on(['GET', 'HEAD'], '/webmail/compose', { auth: 'none' }, page(ctx, (w) => composePage(ctx, w)));
  router.on('POST', '/webmail/compose', { auth: 'none' }, page(ctx, (w) => composeSubmit(ctx, w), {
    formLimit: ctx.services.config.smtp.max_message_bytes, multipart: true,
  }));
  router.on('POST', '/webmail/_folders', { auth: 'none' }, page(ctx, async (w) => {
    const name = (w.form.get('name') ?? '').trim();
    if (!name) throw new HttpError(400, 'Give the folder a name');
    const made = await ctx.services.mail.createFolder(w.principal.id, name);
    return redirect(`${ctx.base}/webmail/${encodeURIComponent(made.name)}`);
  }));
  router.on(['GET', 'HEAD'], '/webmail/:folder', { auth: 'none' }, page(ctx, (w) => folderPage(ctx, w, w.req.params.folder!)));
  router.on('POST', '/webmail/:folder/bulk', { auth: 'none' }, page(ctx, (w) => bulkAction(ctx, w, w.req.params.folder!)));
  router.on(['GET', 'HEAD'], '/webmail/:folder/:uid', { auth: 'none' }, page(ctx, (w) =>
    messagePage(ctx, w, w.req.params.folder!, uidParam(w.req.params.uid))));
  router.on(['GET', 'HEAD'], '/webmail/:folder/:uid/raw', { auth: 'none' }, page(ctx, (w) =>
    rawSource(ctx, w, w.req.params.folder!, uidParam(w.req.params.uid))));
  router.on(['GET', 'HEAD'], '/webmail/:folder/:uid/attachment/:index', { auth: 'none' }, page(ctx, (w) =>
    partDownload(ctx, w, w.req.params.folder!, uidParam(w.req.params.uid), { index: w.req.params.index })));
  router.on(['GET', 'HEAD'], '/webmail/:folder/:uid/part/:section', { auth: 'none' }, page(ctx, (w) =>
    partDownload(ctx, w, w.req.params.folder!, uidParam(w.req.params.uid), { section: w.req.params.section })));
  router.on('POST', '/webmail/:folder/:uid/:action', { auth: 'none' }, page(ctx, async (w) => {
    const action = w.req.params.action!;
    if (!ACTIONS.includes(action)) throw new HttpError(404, 'Unknown action');
    return messageAction(ctx, w, w.req.params.folder!, uidParam(w.req.params.uid), action);
  }));
  router.on(['GET', 'HEAD'], '/webmail/*', { auth: 'none' }, page(ctx, async () => {
    throw new HttpError(404, 'No such page');
  }));
}
