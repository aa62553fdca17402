/**
 * The page shell every signed-in webmail screen shares: top bar, `aside.sidebar` with the
 * folder list, `main.content`, `span.current-user` (reference.md "Page structure").
 */
import type { FolderInfo } from '../../../common/mail.js';
import { esc, abs, seg, csrfField } from './html.js';

/** The webmail areas the top navigation links to. */
export type Section = 'mail' | 'calendar' | 'drive' | 'docs';

/** What the shell needs around a screen's content. */
export interface LayoutData {
  /** config.public_url, no trailing slash. */
  base: string;
  title: string;
  /** The signed-in address. */
  user: string;
  csrf: string;
  section: Section;
  /** Folders for the sidebar (mail screens). */
  folders: FolderInfo[];
  activeFolder?: string;
  /** Extra sidebar HTML (calendar list, drive links), already escaped. */
  sidebarExtra?: string;
  /** The content HTML, already escaped. */
  content: string;
  /** A one-line notice shown above the content. */
  notice?: string;
}

const SPECIAL_ORDER = ['\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'];

/** Folders in display order: INBOX, the special-use ones, then the rest by name. */
export function sortFolders(folders: FolderInfo[]): FolderInfo[] {
  const rank = (f: FolderInfo): number => {
    if (f.name.toUpperCase() === 'INBOX') return 0;
    const i = f.specialUse ? SPECIAL_ORDER.indexOf(f.specialUse) : -1;
    return i >= 0 ? 1 + i : 100;
  };
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** One sidebar folder entry, exactly as reference.md's "Folder list" shows it. */
export function folderItem(base: string, f: FolderInfo, active: boolean): string {
  const depth = f.name.split('/').length - 1;
  const label = f.name.split('/').pop() ?? f.name;
  return `<li class="folder-item${active ? ' active' : ''}" data-folder="${esc(f.name)}" data-total="${f.total}" `
    + `data-unread="${f.unread}"${depth ? ` data-depth="${depth}"` : ''}>`
    + `<a href="${abs(base, `/webmail/${seg(f.name)}`)}"${active ? ' aria-current="page"' : ''}>${esc(label)} `
    + `<span class="count${f.unread ? '' : ' zero'}">${f.unread}</span></a></li>`;
}

/** The sidebar: compose button, folder list, links to the other areas. */
function sidebar(d: LayoutData): string {
  const items = sortFolders(d.folders).map((f) => folderItem(d.base, f, f.name === d.activeFolder)).join('');
  return `<aside class="sidebar" aria-label="Folders">`
    + `<a class="compose-button button" href="${abs(d.base, '/webmail/compose')}">Compose</a>`
    + `<nav class="folders"><ul class="folder-list">${items}</ul>`
    + `<form class="new-mail-folder" method="post" action="${abs(d.base, '/webmail/_folders')}">${csrfField(d.csrf)}`
    + `<label class="visually-hidden" for="new-mail-folder">New folder</label>`
    + `<input id="new-mail-folder" name="name" type="text" placeholder="New folder" required maxlength="200">`
    + `<button type="submit" class="action-new-folder">Add</button></form></nav>`
    + (d.sidebarExtra ?? '')
    + `<ul class="side-links">`
    + `<li><a class="nav-calendar" href="${abs(d.base, '/webmail/calendar/month')}">Calendar</a></li>`
    + `<li><a class="nav-drive" href="${abs(d.base, '/webmail/drive/')}">Drive</a></li>`
    + `<li><a class="nav-shared shared-link" href="${abs(d.base, '/webmail/drive/_shared')}">Shared links</a></li>`
    + `<li><a class="nav-docs" href="${abs(d.base, '/docs/')}">Help</a></li>`
    + `</ul></aside>`;
}

/** The top bar: brand, area navigation, the current user and a logout form. */
function topbar(d: LayoutData): string {
  const link = (s: Section, path: string, label: string): string =>
    `<a class="nav-${s}${d.section === s ? ' active' : ''}" href="${abs(d.base, path)}"${d.section === s ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<header class="topbar"><a class="brand" href="${abs(d.base, '/webmail/INBOX')}">rmail</a>`
    + `<nav class="topnav" aria-label="Areas">${link('mail', '/webmail/INBOX', 'Mail')}`
    + `${link('calendar', '/webmail/calendar/month', 'Calendar')}${link('drive', '/webmail/drive/', 'Drive')}`
    + `<a class="nav-shared" href="${abs(d.base, '/webmail/drive/_shared')}">Shared</a>`
    + `${link('docs', '/docs/', 'Help')}</nav>`
    + `<div class="account"><span class="current-user">${esc(d.user)}</span>`
    + `<form class="logout-form" method="post" action="${abs(d.base, '/webmail/logout')}">${csrfField(d.csrf)}`
    + `<button type="submit" class="action-logout">Log out</button></form></div></header>`;
}

/** The document head: charset, viewport, title, the stylesheet. */
export function head(base: string, title: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">`
    + `<meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<meta name="referrer" content="no-referrer">`
    + `<title>${esc(title)} - rmail</title>`
    + `<link rel="stylesheet" href="${abs(base, '/webmail/assets/style.css')}"></head>`;
}

/** A whole signed-in page. */
export function layout(d: LayoutData): string {
  const notice = d.notice ? `<p class="notice" role="status">${esc(d.notice)}</p>` : '';
  return `${head(d.base, d.title)}<body class="section-${d.section}">`
    + topbar(d)
    + `<div class="layout">${sidebar(d)}<main class="content" id="content">${notice}${d.content}</main></div>`
    + `</body></html>`;
}

/** A page without the signed-in shell (login, registration, errors before login). */
export function bare(base: string, title: string, content: string): string {
  return `${head(base, title)}<body class="bare"><main class="content bare-content" id="content">${content}</main></body></html>`;
}
