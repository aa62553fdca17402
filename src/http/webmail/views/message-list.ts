/**
 * The message list (reference.md "Message list page" and "Pagination"): section.message-list,
 * one tr.message-row per message with the exact cells, span.page-info and nav.pagination. Bulk
 * actions use a sibling form (#bulk-form) that the row checkboxes join with form="bulk-form";
 * the bar shows through `:has(input.row-check:checked)`.
 */
import type { FolderInfo } from '../../../common/mail.js';
import { esc, abs, seg, csrfField, shortDate, isoDate, longDate } from './html.js';

/** One row's data. */
export interface RowData {
  uid: number;
  flags: string[];
  from: string;
  /** The sender's address (title tooltip). */
  fromAddress: string;
  subject: string;
  preview: string;
  /** ms since epoch. */
  date: number;
  hasAttachments: boolean;
}

/** What the list screen shows. */
export interface ListData {
  base: string;
  csrf: string;
  folder: string;
  total: number;
  offset: number;
  limit: number;
  query: string;
  rows: RowData[];
  /** Move targets for the bulk bar. */
  folders: FolderInfo[];
  now?: number;
}

/** Link to this folder at another offset (keeping the search). */
export function listUrl(base: string, folder: string, offset: number, limit: number, query: string): string {
  const q = new URLSearchParams();
  if (offset) q.set('offset', String(offset));
  if (limit !== 50) q.set('limit', String(limit));
  if (query) q.set('q', query);
  const qs = q.toString();
  return abs(base, `/webmail/${seg(folder)}${qs ? `?${qs}` : ''}`);
}

/** One tr.message-row exactly as reference.md shows it. */
export function messageRow(base: string, folder: string, r: RowData, now = Date.now()): string {
  const unread = !r.flags.includes('\\Seen');
  const flagged = r.flags.includes('\\Flagged');
  const cls = `message-row${unread ? ' unread' : ''}${flagged ? ' flagged' : ''}`;
  const href = abs(base, `/webmail/${seg(folder)}/${r.uid}`);
  const subject = r.subject || '(no subject)';
  return `<tr class="${cls}" data-uid="${r.uid}" data-folder="${esc(folder)}" data-flags="${esc(r.flags.join(' '))}">`
    + `<td class="col-check"><input type="checkbox" class="row-check" name="uid" value="${r.uid}" form="bulk-form" aria-label="Select message ${esc(subject)}"></td>`
    + `<td class="col-star${flagged ? ' flagged' : ''}"><span class="star" aria-label="${flagged ? 'Starred' : 'Not starred'}">${flagged ? '★' : '☆'}</span></td>`
    + `<td class="col-from"><span class="message-from" title="${esc(r.fromAddress)}">${esc(r.from || r.fromAddress || '(unknown)')}</span></td>`
    + `<td class="col-subject"><a class="message-link" href="${href}"><span class="message-subject">${esc(subject)}</span>`
    + `${r.hasAttachments ? ' <span class="has-attachment" title="Has attachments">att</span>' : ''}`
    + `${r.preview ? ` <span class="message-preview">– ${esc(r.preview)}</span>` : ''}</a></td>`
    + `<td class="col-date"><time class="message-date" datetime="${isoDate(r.date)}" title="${esc(longDate(r.date))}">${esc(shortDate(r.date, now))}</time></td></tr>`;
}

function bulkBar(d: ListData): string {
  const targets = d.folders.filter((f) => f.name !== d.folder)
    .map((f) => `<option value="${esc(f.name)}">${esc(f.name)}</option>`).join('');
  const btn = (action: string, label: string): string =>
    `<button type="submit" form="bulk-form" name="action" value="${action}" class="bulk-${action}">${label}</button>`;
  return `<div class="bulk-bar" role="group" aria-label="Selected messages">`
    + `${btn('read', 'Mark read')}${btn('unread', 'Mark unread')}${btn('star', 'Star')}${btn('unstar', 'Unstar')}${btn('delete', 'Delete')}`
    + `<label class="visually-hidden" for="bulk-target">Move to</label>`
    + `<select id="bulk-target" name="target" form="bulk-form">${targets}</select>${btn('move', 'Move')}</div>`;
}

/** The pagination block: span.page-info and nav.pagination with prev/next. */
export function pagination(d: ListData): { info: string; nav: string } {
  const first = d.total === 0 ? 0 : d.offset + 1;
  const last = Math.min(d.offset + d.limit, d.total);
  const info = `<span class="page-info" data-total="${d.total}" data-offset="${d.offset}" data-limit="${d.limit}">`
    + `${first}–${last} of ${d.total}</span>`;
  const prev = d.offset > 0
    ? `<a class="pagination-prev" rel="prev" href="${listUrl(d.base, d.folder, Math.max(0, d.offset - d.limit), d.limit, d.query)}">‹ Newer</a>`
    : `<span class="pagination-prev disabled" aria-disabled="true">‹ Newer</span>`;
  const next = d.offset + d.limit < d.total
    ? `<a class="pagination-next" rel="next" href="${listUrl(d.base, d.folder, d.offset + d.limit, d.limit, d.query)}">Older ›</a>`
    : `<span class="pagination-next disabled" aria-disabled="true">Older ›</span>`;
  return { info, nav: `<nav class="pagination" aria-label="Pages">${prev}${next}</nav>` };
}

/** The whole list screen (inside main.content). */
export function messageListView(d: ListData): string {
  const now = d.now ?? Date.now();
  const { info, nav } = pagination(d);
  const rows = d.rows.map((r) => messageRow(d.base, d.folder, r, now)).join('');
  const empty = d.rows.length ? '' : `<p class="empty">${d.query ? 'No message matches.' : 'This folder is empty.'}</p>`;
  return `<section class="message-list" data-folder="${esc(d.folder)}" data-total="${d.total}">`
    + `<div class="list-head"><h1 class="folder-title">${esc(d.folder)}</h1>${info}`
    + `<form class="search-form" method="get" action="${abs(d.base, `/webmail/${seg(d.folder)}`)}" role="search">`
    + `<input type="search" name="q" value="${esc(d.query)}" placeholder="Search this folder" aria-label="Search this folder">`
    + `<button type="submit">Search</button></form></div>`
    + `<form id="bulk-form" class="bulk-form" method="post" action="${abs(d.base, `/webmail/${seg(d.folder)}/bulk`)}">`
    + `${csrfField(d.csrf)}<input type="hidden" name="back" value="${esc(listUrl(d.base, d.folder, d.offset, d.limit, d.query))}"></form>`
    + bulkBar(d)
    + `<table class="messages"><tbody>${rows}</tbody></table>${empty}${nav}</section>`;
}
