/** Helpers shared by the mail screens: the signed-in shell, address display, folder lookups. */
import type { EnvelopeAddress, FolderInfo } from '../../../common/mail.js';
import { HttpError } from '../../../common/errors.js';
import type { Reply } from '../../types.js';
import { type WebContext, type WebRequest, type CspOptions, html } from '../web.js';
import { layout, type Section } from '../views/layout.js';

/** `Name <user@host>` or `user@host`. */
export function formatAddress(a: EnvelopeAddress): string {
  const addr = a.mailbox && a.host ? `${a.mailbox}@${a.host}` : a.mailbox ?? '';
  return a.name ? `${a.name} <${addr}>` : addr;
}

/** The bare address `user@host` ('' when incomplete). */
export const bareAddress = (a: EnvelopeAddress): string => (a.mailbox && a.host ? `${a.mailbox}@${a.host}` : a.mailbox ?? '');

/** The display name, else the address. */
export const displayName = (a: EnvelopeAddress | undefined): string => (a ? a.name || bareAddress(a) : '');

/** A date header to ms, else `fallback`. */
export function dateOf(header: string | null, fallback: number): number {
  const ms = header ? Date.parse(header) : NaN;
  return Number.isFinite(ms) ? ms : fallback;
}

/** Parse a uid path parameter (positive integer) or 404. */
export function uidParam(value: string | undefined): number {
  if (!value || !/^[1-9]\d{0,9}$/.test(value)) throw new HttpError(404, 'No such message');
  return Number(value);
}

/** The user's folders (for the sidebar and move targets). */
export function folders(ctx: WebContext, w: WebRequest): Promise<FolderInfo[]> {
  return ctx.services.mail.listFolders(w.principal.id);
}

/** The folder with this special use (`\Trash`, `\Drafts`, `\Sent`), or the named fallback. */
export function specialFolder(list: FolderInfo[], use: string, fallback: string): string {
  return list.find((f) => f.specialUse === use)?.name ?? list.find((f) => f.name === fallback)?.name ?? fallback;
}

/** Render a signed-in page in the shell. */
export function shellPage(
  ctx: WebContext, w: WebRequest,
  d: { title: string; section: Section; folders: FolderInfo[]; activeFolder?: string; content: string; notice?: string; sidebarExtra?: string },
  opts: CspOptions & { status?: number } = {},
): Reply {
  const body = layout({ base: ctx.base, user: w.principal.id, csrf: w.session.csrf, ...d });
  return html(ctx.base, body, opts.status ?? 200, opts);
}

/** The `back` field of a form when it points into this webmail, else `fallback`. */
export function backUrl(ctx: WebContext, back: string | null, fallback: string): string {
  if (back && back.startsWith(`${ctx.base}/webmail/`) && !/[\r\n]/.test(back)) return back;
  return fallback;
}
