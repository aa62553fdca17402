/**
 * GET /webmail/compose[?mode=reply|reply-all|forward&folder=F&uid=N]: the compose form, filled
 * for a reply (quoted, In-Reply-To/References kept) or a forward. POST /webmail/compose with
 * builds the message (nodemailer's MailComposer, with the form's attachments when it is sent as
 * multipart/form-data); `action=send` hands it to the submission path of POST /messages/send
 * (send.ts); `action=draft` saves it to Drafts with \Draft.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import addressparser from 'nodemailer/lib/addressparser';
import { HttpError } from '../../../common/errors.js';
import type { Reply } from '../../types.js';
import { type WebContext, type WebRequest, type UploadedFile, redirect } from '../web.js';
import { composeView, type ComposeData } from '../views/compose.js';
import { longDate } from '../views/html.js';
import { prefill, htmlToText } from '../quote.js';
import { bodyParts, partAt, readPart, readText } from '../mime-body.js';
import { dateOf, folders, shellPage, specialFolder, uidParam } from './mail-common.js';
import { submitMessage } from '../send.js';

const MODES = ['reply', 'reply-all', 'forward', 'draft'] as const;
const ADDRESS = /^[^\s@<>(),;:"\\]+@[A-Za-z0-9.-]+$/;

/** Split and check a recipients field; throws 400 naming the bad address. */
export function parseRecipients(field: string, name: string): string[] {
  const out: string[] = [];
  for (const a of addressparser(field.replace(/;/g, ','), { flatten: true })) {
    if (!a.address || !ADDRESS.test(a.address)) throw new HttpError(400, `${name}: "${a.address || a.name}" is not an email address`);
    out.push(a.address);
  }
  if (out.length > 100) throw new HttpError(400, `${name}: at most 100 recipients`);
  return out;
}

async function prefilled(ctx: WebContext, w: WebRequest): Promise<Partial<ComposeData>> {
  const mode = w.req.query.get('mode');
  if (!mode) return { to: w.req.query.get('to') ?? '' };
  if (!(MODES as readonly string[]).includes(mode)) throw new HttpError(400, 'mode must be reply, reply-all, forward or draft');
  const mail = ctx.services.mail;
  const view = await mail.folder(w.principal.id, w.req.query.get('folder') ?? 'INBOX');
  const uid = uidParam(w.req.query.get('uid') ?? undefined);
  const meta = view.byUid(uid);
  if (!meta) throw new HttpError(404, 'No such message');
  const summary = await mail.summary(w.principal.id, view.info.name, uid);
  const file = mail.messageFile(w.principal.id, view.info.name, uid);
  const parts = bodyParts(summary);
  const text = parts.text ? await readText(file, parts.text.part) : parts.html ? htmlToText(await readText(file, parts.html.part)) : '';
  const date = longDate(dateOf(summary.envelope.date, meta.internalDate));
  if (mode === 'draft') {
    const e = summary.envelope;
    const list = (a: typeof e.to) => a.map((x) => (x.mailbox && x.host ? `${x.mailbox}@${x.host}` : '')).filter(Boolean).join(', ');
    return {
      mode: 'draft', draftUid: uid, to: list(e.to), cc: list(e.cc), bcc: list(e.bcc), subject: e.subject ?? '', body: text,
      inReplyTo: e.inReplyTo ?? '', references: summary.references.join(' '),
    };
  }
  const forward = mode === 'forward' ? { folder: view.info.name, uid, files: summary.attachments.map((a) => a.filename) } : undefined;
  return { mode: mode as ComposeData['mode'], forward, ...prefill(mode as Exclude<(typeof MODES)[number], 'draft'>, summary.envelope, summary.references, text, w.principal.id, date) };
}

/** GET /webmail/compose. */
export async function composePage(ctx: WebContext, w: WebRequest): Promise<Reply> {
  const [list, fill] = await Promise.all([folders(ctx, w), prefilled(ctx, w)]);
  const content = composeView({
    base: ctx.base, csrf: w.session.csrf, from: w.principal.id, mode: 'new', to: '', cc: '', bcc: '', subject: '', body: '',
    inReplyTo: '', references: '', ...fill,
  });
  return shellPage(ctx, w, { title: 'Compose', section: 'mail', folders: list, content });
}

const MSGID = /^<[^<>\s]{1,250}>$/;

/** Build the RFC 822 bytes of a composed message. */
export async function buildMessage(
  from: string, f: URLSearchParams, to: string[], cc: string[], bcc: string[], hostname: string, files: UploadedFile[] = [],
): Promise<{ raw: Buffer; messageId: string }> {
  const inReplyTo = (f.get('in_reply_to') ?? '').trim();
  const refs = (f.get('references') ?? '').split(/\s+/).filter((r) => MSGID.test(r)).slice(-50);
  const messageId = `<${crypto.randomUUID()}@${hostname}>`;
  const composer = new MailComposer({
    from, to, cc, bcc, subject: (f.get('subject') ?? '').replace(/[\r\n]+/g, ' ').slice(0, 998), text: (f.get('body') ?? '').replace(/\r?\n/g, '\r\n'),
    messageId, date: new Date(), inReplyTo: MSGID.test(inReplyTo) ? inReplyTo : undefined,
    references: refs.length ? refs : undefined,
    attachments: files.map((a) => ({ filename: a.filename.replace(/[\r\n"]/g, '_').slice(0, 200), content: a.content, contentType: a.contentType })),
  });
  const raw = await composer.compile().build();
  return { raw, messageId };
}

/** The attachments of the forwarded message (`forward_folder` + `forward_uid`), decoded. */
async function forwardedFiles(ctx: WebContext, w: WebRequest): Promise<UploadedFile[]> {
  const folder = w.form.get('forward_folder');
  const rawUid = w.form.get('forward_uid');
  if (!folder || !rawUid) return [];
  const mail = ctx.services.mail;
  const view = await mail.folder(w.principal.id, folder);
  const uid = uidParam(rawUid);
  if (!view.byUid(uid)) throw new HttpError(404, 'The forwarded message is gone');
  const summary = await mail.summary(w.principal.id, view.info.name, uid);
  const file = mail.messageFile(w.principal.id, view.info.name, uid);
  const out: UploadedFile[] = [];
  for (const a of summary.attachments) {
    const part = partAt(summary.body, a.section);
    if (part) out.push({ field: 'forward', filename: a.filename, contentType: a.contentType, content: await readPart(file, part) });
  }
  return out;
}

/** Remove the draft this form was editing (named by `draft_uid`), when it is still a draft. */
async function dropDraft(ctx: WebContext, w: WebRequest, drafts: string): Promise<void> {
  const raw = w.form.get('draft_uid');
  if (!raw || !/^[1-9]\d{0,9}$/.test(raw)) return;
  const view = await ctx.services.mail.folder(w.principal.id, drafts);
  const meta = view.byUid(Number(raw));
  if (meta?.flags.includes('\\Draft')) await ctx.services.mail.expunge(w.principal.id, drafts, [meta.uid]);
}

/** POST /webmail/compose. */
export async function composeSubmit(ctx: WebContext, w: WebRequest): Promise<Reply> {
  const f = w.form;
  const action = f.get('action') ?? 'send';
  const to = parseRecipients(f.get('to') ?? '', 'To');
  const cc = parseRecipients(f.get('cc') ?? '', 'Cc');
  const bcc = parseRecipients(f.get('bcc') ?? '', 'Bcc');
  const list = await folders(ctx, w);
  if (action === 'draft') {
    const files = [...(await forwardedFiles(ctx, w)), ...w.files];
    const { raw } = await buildMessage(w.principal.id, f, to, cc, bcc, ctx.services.config.hostname, files);
    const drafts = specialFolder(list, '\\Drafts', 'Drafts');
    await ctx.services.mail.append(w.principal.id, drafts, { data: raw }, { flags: ['\\Draft', '\\Seen'] });
    await dropDraft(ctx, w, drafts);
    return redirect(`${ctx.base}/webmail/${encodeURIComponent(drafts)}`);
  }
  if (action !== 'send') throw new HttpError(400, 'action must be send or draft');
  if (to.length + cc.length + bcc.length === 0) {
    const content = composeView({
      base: ctx.base, csrf: w.session.csrf, from: w.principal.id, mode: 'new', to: f.get('to') ?? '', cc: f.get('cc') ?? '',
      bcc: f.get('bcc') ?? '', subject: f.get('subject') ?? '', body: f.get('body') ?? '', inReplyTo: f.get('in_reply_to') ?? '',
      references: f.get('references') ?? '', error: 'Add at least one recipient.',
    });
    return shellPage(ctx, w, { title: 'Compose', section: 'mail', folders: list, content }, { status: 400 });
  }
  const files = [...(await forwardedFiles(ctx, w)), ...w.files];
  const { raw } = await buildMessage(w.principal.id, f, to, cc, bcc, ctx.services.config.hostname, files);
  await submitMessage(ctx.services, w.principal, [...to, ...cc, ...bcc], raw);
  await dropDraft(ctx, w, specialFolder(list, '\\Drafts', 'Drafts'));
  const sent = specialFolder(list, '\\Sent', 'Sent');
  return redirect(`${ctx.base}/webmail/${encodeURIComponent(sent)}`);
}
