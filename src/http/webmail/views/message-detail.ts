/**
 * The message detail (reference.md "Message detail page", "Attachments", "Action buttons"):
 * article.msg-detail with header, meta, body, attachments, and the toolbar whose actions carry
 * the exact classes (.action-reply, .action-forward, .action-delete, .action-move,
 * .action-toggle-read, .action-toggle-star). The body HTML arrives already sanitized.
 */
import type { FolderInfo, AttachmentInfo } from '../../../common/mail.js';
import { esc, abs, seg, csrfField, longDate, isoDate, humanSize } from './html.js';

/** What the detail screen shows. */
export interface DetailData {
  base: string;
  csrf: string;
  folder: string;
  uid: number;
  flags: string[];
  subject: string;
  from: string[];
  to: string[];
  cc: string[];
  date: number;
  /** Sanitized HTML, or null when the message is shown as plain text. */
  html: string | null;
  text: string;
  /** Remote images held back (offer to load them). */
  blockedRemote: number;
  remoteAllowed: boolean;
  attachments: AttachmentInfo[];
  folders: FolderInfo[];
}

function postButton(base: string, path: string, csrf: string, cls: string, label: string, extra = ''): string {
  return `<form method="post" action="${abs(base, path)}" class="form-${cls}">${csrfField(csrf)}${extra}`
    + `<button type="submit" class="${cls}">${label}</button></form>`;
}

function toolbar(d: DetailData): string {
  const m = `/webmail/${seg(d.folder)}/${d.uid}`;
  const compose = (mode: string): string =>
    abs(d.base, `/webmail/compose?mode=${mode}&folder=${seg(d.folder)}&uid=${d.uid}`);
  const seen = d.flags.includes('\\Seen');
  const starred = d.flags.includes('\\Flagged');
  const targets = d.folders.filter((f) => f.name !== d.folder)
    .map((f) => `<option value="${esc(f.name)}">${esc(f.name)}</option>`).join('');
  return `<nav class="msg-toolbar" aria-label="Message actions">`
    + `<a class="button action-back" href="${abs(d.base, `/webmail/${seg(d.folder)}`)}">← ${esc(d.folder)}</a>`
    + (d.flags.includes('\\Draft') ? `<a class="button primary action-edit-draft" href="${compose('draft')}">Edit draft</a>` : '')
    + `<a class="button action-reply" href="${compose('reply')}">Reply</a>`
    + `<a class="button action-reply-all" href="${compose('reply-all')}">Reply all</a>`
    + `<a class="button action-forward" href="${compose('forward')}">Forward</a>`
    + postButton(d.base, `${m}/delete`, d.csrf, 'action-delete', 'Delete')
    + postButton(d.base, `${m}/move`, d.csrf, 'action-move', 'Move',
      `<label class="visually-hidden" for="move-target">Move to</label><select id="move-target" name="target">${targets}</select>`)
    + postButton(d.base, `${m}/toggle-read`, d.csrf, 'action-toggle-read', seen ? 'Mark unread' : 'Mark read')
    + postButton(d.base, `${m}/toggle-star`, d.csrf, 'action-toggle-star', starred ? 'Unstar' : 'Star')
    + `<a class="button action-raw" href="${abs(d.base, `${m}/raw`)}">Source</a></nav>`;
}

const people = (cls: string, label: string, list: string[]): string =>
  `<div class="msg-${cls}"><span class="label">${label}:</span> `
  + list.map((a) => `<span class="message-${cls}">${esc(a)}</span>`).join(', ') + `</div>`;

/** The attachments section. */
export function attachmentsView(base: string, folder: string, uid: number, list: AttachmentInfo[]): string {
  if (!list.length) return '';
  const items = list.map((a, i) =>
    `<span class="attachment-item" data-index="${i}" data-filename="${esc(a.filename)}">`
    + `<a class="attachment-link" href="${abs(base, `/webmail/${seg(folder)}/${uid}/attachment/${i}`)}">${esc(a.filename)}</a>`
    + ` (${humanSize(a.size)})</span>`).join('');
  return `<section class="attachments" data-count="${list.length}"><h3>Attachments</h3>${items}</section>`;
}

/** The whole detail screen (inside main.content). */
export function messageDetailView(d: DetailData): string {
  const remote = d.blockedRemote && !d.remoteAllowed
    ? `<p class="remote-notice">${d.blockedRemote} remote image${d.blockedRemote > 1 ? 's' : ''} blocked. `
      + `<a class="allow-remote" href="${abs(d.base, `/webmail/${seg(d.folder)}/${d.uid}?remote=1`)}">Load remote content</a></p>` : '';
  const body = d.html !== null ? `<div class="msg-html">${d.html}</div>` : `<pre class="msg-text">${esc(d.text)}</pre>`;
  return toolbar(d)
    + `<article class="msg-detail" data-uid="${d.uid}" data-folder="${esc(d.folder)}" data-flags="${esc(d.flags.join(' '))}">`
    + `<header class="msg-header"><h2 class="msg-subject">${esc(d.subject || '(no subject)')}</h2><div class="msg-meta">`
    + people('from', 'From', d.from) + people('to', 'To', d.to) + (d.cc.length ? people('cc', 'Cc', d.cc) : '')
    + `<div class="msg-date"><span class="label">Date:</span> <time class="message-date" datetime="${isoDate(d.date)}">${esc(longDate(d.date))}</time></div>`
    + `</div></header>${remote}<div class="msg-body">${body}</div>`
    + attachmentsView(d.base, d.folder, d.uid, d.attachments)
    + `</article>`;
}
