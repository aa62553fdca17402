/**
 * GET /webmail/{folder}?offset&limit&q: the message list of one folder, newest first, with
 * pagination and an in-folder search (subject, from, to, preview). Only the page's rows read
 * their stored summaries, so a 10,000-message folder pages in constant work.
 */
import type { FolderView, MessageMeta, MessageSummary } from '../../../common/mail.js';
import { HttpError } from '../../../common/errors.js';
import type { Reply } from '../../types.js';
import type { WebContext, WebRequest } from '../web.js';
import { messageListView, type RowData } from '../views/message-list.js';
import { bareAddress, dateOf, displayName, folders, shellPage } from './mail-common.js';

const MAX_LIMIT = 200;

function intParam(v: string | null, def: number, min: number, max: number, name: string): number {
  if (v === null || v === '') return def;
  if (!/^\d{1,9}$/.test(v)) throw new HttpError(400, `${name} must be a whole number`);
  return Math.min(max, Math.max(min, Number(v)));
}

/** One row's data from the index entry and the stored summary. */
export function rowOf(m: MessageMeta, s: MessageSummary): RowData {
  const from = s.envelope.from[0];
  return {
    uid: m.uid, flags: m.flags, from: displayName(from), fromAddress: from ? bareAddress(from) : '',
    subject: s.envelope.subject ?? '', preview: s.preview, date: dateOf(s.envelope.date, m.internalDate),
    hasAttachments: s.attachments.length > 0,
  };
}

/** Newest-first page of a folder, or of the messages matching `q`. */
async function pageRows(ctx: WebContext, userId: string, name: string, view: FolderView, offset: number, limit: number, q: string) {
  const msgs = view.messages;
  const mail = ctx.services.mail;
  if (!q) {
    const picked: MessageMeta[] = [];
    for (let i = msgs.length - 1 - offset; i >= 0 && picked.length < limit; i--) picked.push(msgs[i]!);
    const sums = await Promise.all(picked.map((m) => mail.summary(userId, name, m.uid)));
    ctx.search.warm(mail, userId, view);
    return { total: msgs.length, rows: picked.map((m, i) => rowOf(m, sums[i]!)) };
  }
  const hits = await ctx.search.search(mail, userId, view, q);
  const picked = hits.slice(offset, offset + limit).map((uid) => view.byUid(uid)).filter((m): m is MessageMeta => !!m);
  const sums = await Promise.all(picked.map((m) => mail.summary(userId, name, m.uid)));
  return { total: hits.length, rows: picked.map((m, i) => rowOf(m, sums[i]!)) };
}

/** The folder page handler. */
export async function folderPage(ctx: WebContext, w: WebRequest, name: string): Promise<Reply> {
  const q = (w.req.query.get('q') ?? '').trim().slice(0, 200);
  const offset = intParam(w.req.query.get('offset'), 0, 0, 1e9, 'offset');
  const limit = intParam(w.req.query.get('limit'), 50, 1, MAX_LIMIT, 'limit');
  const [list, view] = await Promise.all([folders(ctx, w), ctx.services.mail.folder(w.principal.id, name)]);
  const folder = view.info.name;
  const { total, rows } = await pageRows(ctx, w.principal.id, folder, view, offset, limit, q);
  const content = messageListView({ base: ctx.base, csrf: w.session.csrf, folder, total, offset, limit, query: q, rows, folders: list });
  return shellPage(ctx, w, { title: folder, section: 'mail', folders: list, activeFolder: folder, content });
}
