/**
 * The drive screens (reference.md Drive "Webmail UI", "Webmail UI for sharing"):
 * GET /webmail/drive/{path}/ the owner's file manager; GET /webmail/drive/_download/{path} a
 * file; POST /webmail/drive/_op/{upload|mkdir|delete} (owner, or a share visitor within the
 * share's permissions: upload U, new folder C, delete D); GET/POST /webmail/drive/{path}/_share
 * the share form; GET /webmail/drive/_shared and POST /webmail/drive/_shared/revoke;
 * GET /webmail/drive/{uid}/{name}/{sub} the public view of a shared directory (no login).
 * Share visitors' forms carry a CSRF token bound to a pre-session cookie.
 */
import type { Router } from '../../router.js';
import type { HttpRequest, Reply } from '../../types.js';
import { HttpError } from '../../../common/errors.js';
import { checkDrivePath, checkShareName, isShareUid, parseDrivePath } from '../../../common/drive-path.js';
import { defaultShareName } from '../../../services/drive/shares.js';
import type { ShareRecord } from '../../../store/shares.js';
import { type WebContext, type WebRequest, page, publicPage, redirect, readForm, html, signedIn } from '../web.js';
import { driveView, confirmDeleteView, type DriveData } from '../views/drive.js';
import { shareFormView, sharedListView } from '../views/drive-share.js';
import { bare, head } from '../views/layout.js';
import { esc } from '../views/html.js';
import { backUrl, folders, shellPage } from './mail-common.js';
import { receiveUpload } from './drive-upload.js';
import { disposition } from './message.js';

const enc = (parts: string[]): string => parts.map(encodeURIComponent).join('/');
const SAFE_INLINE = /^(image\/(png|gif|jpeg|webp|bmp)|application\/pdf|text\/plain)/;

/** A live share and its directory parts, or null. */
async function shareOf(ctx: WebContext, uid: string | undefined): Promise<ShareRecord | null> {
  if (!uid || !isShareUid(uid)) return null;
  return (await ctx.services.drive.shares.resolve(uid)) ?? null;
}

async function dirData(ctx: WebContext, userId: string, parts: string[], d: Omit<DriveData, 'totals' | 'tiles'>): Promise<DriveData> {
  const listing = await ctx.services.drive.list(userId, parts);
  return {
    ...d,
    totals: { files: listing.total_files, dirs: listing.total_dirs, bytes: listing.total_bytes },
    tiles: listing.children.map((c) => {
      const f = c as { size?: number; content_type?: string };
      return { name: c.name, type: c.type, size: f.size ?? 0, mtime: c.mtime, contentType: f.content_type ?? '' };
    }),
  };
}

async function ownerView(ctx: WebContext, w: WebRequest, parts: string[]): Promise<Reply> {
  const e = parts.length ? await ctx.services.drive.stat(w.principal.id, parts) : { type: 'dir' as const };
  if (!e) throw new HttpError(404, 'No such file or folder');
  if (e.type === 'file') return redirect(`${ctx.base}/webmail/drive/_download/${enc(parts)}`);
  const data = await dirData(ctx, w.principal.id, parts, {
    base: ctx.base, csrf: w.session.csrf, root: '/webmail/drive', rootLabel: 'My drive', sub: parts,
    fileUrl: (rel) => `${ctx.base}/webmail/drive/_download/${enc(rel)}`, can: { upload: true, mkdir: true, remove: true, share: true },
  });
  const list = await folders(ctx, w);
  return shellPage(ctx, w, { title: parts.length ? parts[parts.length - 1]! : 'Drive', section: 'drive', folders: list, content: driveView(data) });
}

async function publicView(ctx: WebContext, req: HttpRequest, share: ShareRecord, name: string, sub: string[]): Promise<Reply> {
  checkShareName(name);
  checkDrivePath(sub);
  const parts = [...parseDrivePath(share.target_path), ...sub];
  const e = await ctx.services.drive.stat(share.owner, parts);
  if (!e) throw new HttpError(404, 'Not found');
  const pub = `/drive/${share.uid}/${encodeURIComponent(name)}`;
  if (e.type === 'file') return redirect(`${ctx.base}${pub}${sub.length ? `/${enc(sub)}` : ''}`);
  const { csrf, cookie } = ctx.sessions.formToken(req);
  const p = share.permissions;
  const data = await dirData(ctx, share.owner, parts, {
    base: ctx.base, csrf, root: `/webmail/drive/${share.uid}/${encodeURIComponent(name)}`, rootLabel: share.name, sub, share: share.uid,
    fileUrl: (rel) => `${ctx.base}${pub}/${enc(rel)}`, can: { upload: p.includes('U'), mkdir: p.includes('C'), remove: p.includes('D'), share: false },
  });
  const body = `<header class="topbar"><span class="brand">rmail</span><span class="shared-by">Shared by ${esc(share.owner)}</span></header>`
    + `<div class="layout"><main class="content" id="content">${driveView(data)}</main></div>`;
  return html(ctx.base, `${head(ctx.base, share.name)}<body class="shared-view">${body}</body></html>`, 200,
    { headers: cookie ? { 'set-cookie': cookie } : {} });
}

/** Resolve an op's target: the owner's drive (session) or a share (visitor token). */
async function opTarget(ctx: WebContext, req: HttpRequest, fields: URLSearchParams): Promise<{ userId: string; dir: string[]; back: string; share?: ShareRecord; csrf: string }> {
  const path = fields.get('path') ?? req.query.get('path') ?? '';
  const sub = parseDrivePath(path);
  const token = fields.get('csrf') ?? req.query.get('csrf');
  const shareId = fields.get('share') ?? req.query.get('share');
  if (shareId) {
    const share = await shareOf(ctx, shareId);
    if (!share) throw new HttpError(404, 'Share not found');
    const nonce = ctx.sessions.preLogin(req);
    const csrf = nonce ? ctx.sessions.csrfFor(nonce) : '';
    if (!nonce || !ctx.sessions.checkCsrf({ csrf }, token)) throw new HttpError(403, 'Missing or invalid CSRF token');
    const root = `/webmail/drive/${share.uid}/${encodeURIComponent(share.name)}`;
    return { userId: share.owner, dir: [...parseDrivePath(share.target_path), ...sub], back: `${ctx.base}${root}/${enc(sub)}${sub.length ? '/' : ''}`, share, csrf };
  }
  const who = await signedIn(ctx, req);
  if (!who) throw new HttpError(401, 'Sign in first');
  const { session, principal } = who;
  if (!ctx.sessions.checkCsrf(session, token)) throw new HttpError(403, 'Missing or invalid CSRF token');
  return { userId: principal.id, dir: sub, back: `${ctx.base}/webmail/drive/${enc(sub)}${sub.length ? '/' : ''}`, csrf: session.csrf };
}

const needPerm = (share: ShareRecord | undefined, letter: string): void => {
  if (share && !share.permissions.includes(letter)) throw new HttpError(403, `This share does not allow this (needs ${letter})`);
};

async function op(ctx: WebContext, req: HttpRequest, name: string): Promise<Reply> {
  if (name === 'upload') {
    const t = await opTarget(ctx, req, new URLSearchParams());
    needPerm(t.share, 'U');
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) throw new HttpError(415, 'Uploads are multipart/form-data');
    const dir = await ctx.services.drive.stat(t.userId, t.dir);
    if (t.dir.length && dir?.type !== 'dir') throw new HttpError(404, 'No such folder');
    await receiveUpload(req, ctx.services, t.userId, t.dir, { mayOverwrite: true });
    return redirect(t.back);
  }
  const f = await readForm(req);
  const t = await opTarget(ctx, req, f);
  if (name === 'mkdir') {
    needPerm(t.share, 'C');
    const rel = parseDrivePath((f.get('name') ?? '').trim());
    if (!rel.length) throw new HttpError(400, 'Give the folder a name');
    await ctx.services.drive.mkdir(t.userId, [...t.dir, ...rel], true);
    return redirect(t.back);
  }
  if (name === 'delete') {
    needPerm(t.share, 'D');
    const items = [...new Set(f.getAll('item'))].map((i) => checkDrivePath([i])[0]!);
    if (!items.length) return redirect(t.back);
    if (f.get('confirm') !== '1') {
      const path = f.get('path') ?? req.query.get('path') ?? '';
      return html(ctx.base, bare(ctx.base, 'Delete', confirmDeleteView(ctx.base, t.csrf, path, t.share?.uid, items, t.back)));
    }
    for (const item of items) await ctx.services.drive.remove(t.userId, [...t.dir, item]);
    return redirect(t.back);
  }
  throw new HttpError(404, 'Unknown drive action');
}

async function download(ctx: WebContext, w: WebRequest): Promise<Reply> {
  const parts = checkDrivePath(w.req.rest);
  const info = await ctx.services.drive.fileInfo(w.principal.id, parts);
  const inline = SAFE_INLINE.test(info.content_type);
  const content = await ctx.services.drive.openForDownload(w.principal.id, parts);
  return {
    status: 200,
    headers: {
      'content-type': inline ? info.content_type : 'application/octet-stream', etag: info.etag,
      'content-disposition': disposition(inline ? 'inline' : 'attachment', info.name),
      'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", 'cache-control': 'private, no-cache',
    },
    ...('data' in content ? { body: content.data } : { file: { fd: content.fd, start: 0, length: info.size } }),
  };
}

async function shareForm(ctx: WebContext, w: WebRequest, parts: string[], error?: string, status = 200): Promise<Reply> {
  const e = await ctx.services.drive.stat(w.principal.id, parts);
  if (!e || !parts.length) throw new HttpError(404, 'Nothing to share here');
  const target = parts.join('/');
  const existing = (await ctx.services.drive.shares.list(w.principal.id)).filter((s) => s.target_path === target);
  const content = shareFormView(ctx.base, w.session.csrf, target, e.type === 'dir', defaultShareName(parts[parts.length - 1]!), existing, error);
  return shellPage(ctx, w, { title: `Share ${target}`, section: 'drive', folders: await folders(ctx, w), content }, { status });
}

async function createShare(ctx: WebContext, w: WebRequest, parts: string[]): Promise<Reply> {
  const perms = ['R', ...w.form.getAll('perm').filter((p) => ['C', 'U', 'D'].includes(p))].join('');
  const name = (w.form.get('name') ?? '').trim();
  const expires = w.form.get('expires') ? `${w.form.get('expires')}T23:59:59Z` : null;
  try {
    await ctx.services.drive.shares.create(w.principal.id, { target_path: parts.join('/'), name: name || undefined, permissions: perms, expires });
  } catch (err) {
    if (err instanceof HttpError || (err as Error).name === 'ValidationError') return shareForm(ctx, w, parts, (err as Error).message, 400);
    throw err;
  }
  return redirect(`${ctx.base}/webmail/drive/${enc(parts)}/_share`);
}

/** Register the drive routes (before the mail catch-alls). */
export function registerDriveRoutes(router: Router, ctx: WebContext): void {
  const get = ['GET', 'HEAD'];
  router.on(get, '/webmail/drive/_shared', { auth: 'none' }, page(ctx, async (w) => {
    const shares = await ctx.services.drive.shares.list(w.principal.id);
    return shellPage(ctx, w, { title: 'Shared links', section: 'drive', folders: await folders(ctx, w), content: sharedListView(ctx.base, w.session.csrf, shares) });
  }));
  router.on('POST', '/webmail/drive/_shared/revoke', { auth: 'none' }, page(ctx, async (w) => {
    await ctx.services.drive.shares.revoke(w.principal.id, w.form.get('uid') ?? '');
    return redirect(backUrl(ctx, w.form.get('back'), `${ctx.base}/webmail/drive/_shared`));
  }));
  router.on(get, '/webmail/drive/_download/*', { auth: 'none' }, page(ctx, (w) => download(ctx, w)));
  router.on('POST', '/webmail/drive/_op/:op', { auth: 'none' }, publicPage(ctx, (req) => op(ctx, req, req.params.op!)));
  const owner = page(ctx, async (w) => {
    const rest = w.req.rest;
    if (rest[rest.length - 1] === '_share') {
      const parts = checkDrivePath(rest.slice(0, -1));
      return w.req.method === 'POST' ? createShare(ctx, w, parts) : shareForm(ctx, w, parts);
    }
    if (w.req.method === 'POST') throw new HttpError(405, 'Method not allowed');
    return ownerView(ctx, w, checkDrivePath(rest));
  });
  router.on([...get, 'POST'], '/webmail/drive/*', { auth: 'none' }, async (req) => {
    const share = req.method !== 'POST' ? await shareOf(ctx, req.rest[0]).catch(() => null) : null;
    if (share) return publicPage(ctx, (r) => publicView(ctx, r, share, r.rest[1] ?? share.name, r.rest.slice(2)))(req);
    return owner(req);
  });
}
