/**
 * GET /webmail/{folder}/{uid}: one message. Marks it \Seen, shows the sanitized HTML part (or
 * the plain text), the attachments, and the action toolbar. `?remote=1` loads remote images
 * for this message only (the CSP of that one page then allows them).
 * GET /webmail/{folder}/{uid}/attachment/{index} and /part/{section}: a decoded part, as a
 * download (inline only for images referenced by cid). GET .../raw: the RFC 822 source.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { HttpError } from '../../../common/errors.js';
import type { Reply } from '../../types.js';
import type { WebContext, WebRequest } from '../web.js';
import { messageDetailView } from '../views/message-detail.js';
import { sanitizeMail } from '../sanitize.js';
import { bodyParts, partAt, readPart, readText, sectionOfCid } from '../mime-body.js';
import { seg } from '../views/html.js';
import { dateOf, folders, formatAddress, shellPage } from './mail-common.js';

/** The message detail handler. */
export async function messagePage(ctx: WebContext, w: WebRequest, name: string, uid: number): Promise<Reply> {
  const mail = ctx.services.mail;
  const userId = w.principal.id;
  const view = await mail.folder(userId, name);
  const folder = view.info.name;
  const meta = view.byUid(uid);
  if (!meta) throw new HttpError(404, 'No such message');
  const [list, summary] = await Promise.all([folders(ctx, w), mail.summary(userId, folder, uid)]);
  let flags = meta.flags;
  if (!flags.includes('\\Seen')) {
    const r = await mail.setFlags(userId, folder, [uid], 'add', ['\\Seen']);
    flags = r.changed[0]?.flags ?? [...flags, '\\Seen'];
  }
  const file = mail.messageFile(userId, folder, uid);
  const parts = bodyParts(summary);
  const allowRemote = w.req.query.get('remote') === '1';
  let html: string | null = null;
  let text = '';
  let blockedRemote = 0;
  if (parts.html) {
    // sanitizing runs on the event loop: very large HTML bodies are cut (the source stays available)
    const source = await readText(file, parts.html.part);
    const s = sanitizeMail(source.length > MAX_HTML ? source.slice(0, MAX_HTML) : source, {
      allowRemote,
      cidUrl: (cid) => {
        const section = sectionOfCid(summary, cid);
        return section ? `${ctx.base}/webmail/${seg(folder)}/${uid}/part/${section}` : null;
      },
    });
    html = s.html;
    blockedRemote = s.blockedRemote;
  } else if (parts.text) {
    text = await readText(file, parts.text.part);
  }
  const e = summary.envelope;
  const content = messageDetailView({
    base: ctx.base, csrf: w.session.csrf, folder, uid, flags, subject: e.subject ?? '',
    from: e.from.map(formatAddress), to: e.to.map(formatAddress), cc: e.cc.map(formatAddress),
    date: dateOf(e.date, meta.internalDate), html, text, blockedRemote, remoteAllowed: allowRemote,
    attachments: summary.attachments, folders: list,
  });
  return shellPage(ctx, w, { title: e.subject || '(no subject)', section: 'mail', folders: list, activeFolder: folder, content },
    { remoteImages: allowRemote });
}

const SAFE_INLINE = /^image\/(png|gif|jpeg|webp|bmp)$/;
const MAX_HTML = 1024 * 1024;

/** A quoted filename for Content-Disposition (RFC 6266: ASCII fallback plus filename*). */
export function disposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Serve one decoded part: by attachment index or by IMAP section. */
export async function partDownload(ctx: WebContext, w: WebRequest, name: string, uid: number, by: { index?: string; section?: string }): Promise<Reply> {
  const mail = ctx.services.mail;
  const view = await mail.folder(w.principal.id, name);
  if (!view.byUid(uid)) throw new HttpError(404, 'No such message');
  const summary = await mail.summary(w.principal.id, view.info.name, uid);
  let section = by.section;
  let filename = 'part.bin';
  if (by.index !== undefined) {
    const att = /^\d{1,4}$/.test(by.index) ? summary.attachments[Number(by.index)] : undefined;
    if (!att) throw new HttpError(404, 'No such attachment');
    section = att.section;
    filename = att.filename;
  }
  const part = section ? partAt(summary.body, section) : undefined;
  if (!part || part.children?.length) throw new HttpError(404, 'No such part');
  const data = await readPart(mail.messageFile(w.principal.id, view.info.name, uid), part);
  const type = `${part.type}/${part.subtype}`;
  const inline = by.index === undefined && SAFE_INLINE.test(type);
  filename = part.params['name'] ?? part.disposition?.params['filename'] ?? filename;
  return {
    status: 200,
    headers: {
      'content-type': inline ? type : 'application/octet-stream',
      'content-disposition': disposition(inline ? 'inline' : 'attachment', filename),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, max-age=300',
    },
    body: data,
  };
}

/** The raw RFC 822 source as text/plain (never rendered as HTML). */
export async function rawSource(ctx: WebContext, w: WebRequest, name: string, uid: number): Promise<Reply> {
  const mail = ctx.services.mail;
  const view = await mail.folder(w.principal.id, name);
  if (!view.byUid(uid)) throw new HttpError(404, 'No such message');
  const file = mail.messageFile(w.principal.id, view.info.name, uid);
  const { size } = await fsp.stat(file).catch(() => { throw new HttpError(404, 'No such message'); });
  return {
    status: 200,
    headers: {
      'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox", 'cache-control': 'private, no-store',
    },
    body: createReadStream(file),
    length: size,
  };
}
