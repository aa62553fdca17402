/** The compose form (CONTRACT.md: fields `to`, `cc`, `subject`, `body`), with send and save-draft. */
import { esc, abs, csrfField } from './html.js';

/** What the compose form is filled with. */
export interface ComposeData {
  base: string;
  csrf: string;
  from: string;
  mode: 'new' | 'reply' | 'reply-all' | 'forward' | 'draft';
  /** The draft being edited (replaced on save, removed on send). */
  draftUid?: number;
  /** The forwarded message, whose attachments go along: folder, uid and file names. */
  forward?: { folder: string; uid: number; files: string[] };
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
  inReplyTo: string;
  references: string;
  error?: string;
}

const field = (name: string, label: string, value: string, extra = ''): string =>
  `<label for="f-${name}">${label}</label><input type="text" id="f-${name}" name="${name}" value="${esc(value)}"${extra}>`;

/** The compose screen (inside main.content). */
export function composeView(d: ComposeData): string {
  const err = d.error ? `<p class="form-error" role="alert">${esc(d.error)}</p>` : '';
  const title = { new: 'New message', reply: 'Reply', 'reply-all': 'Reply to all', forward: 'Forward', draft: 'Edit draft' }[d.mode];
  return `<section class="compose" data-mode="${d.mode}"><h1>${title}</h1>${err}`
    + `<form class="compose-form" method="post" enctype="multipart/form-data" action="${abs(d.base, '/webmail/compose')}">${csrfField(d.csrf)}`
    + `<input type="hidden" name="in_reply_to" value="${esc(d.inReplyTo)}">`
    + `<input type="hidden" name="references" value="${esc(d.references)}">`
    + (d.draftUid ? `<input type="hidden" name="draft_uid" value="${d.draftUid}">` : '')
    + (d.forward ? `<input type="hidden" name="forward_folder" value="${esc(d.forward.folder)}"><input type="hidden" name="forward_uid" value="${d.forward.uid}">`
      + (d.forward.files.length ? `<p class="forwarded-attachments">Forwarded attachments: ${d.forward.files.map((n) => `<span class="attachment-name">${esc(n)}</span>`).join(', ')}</p>` : '') : '')
    + `<p class="compose-from">From: <span class="message-from">${esc(d.from)}</span></p>`
    + field('to', 'To', d.to, ' autocomplete="email" multiple')
    + field('cc', 'Cc', d.cc)
    + field('bcc', 'Bcc', d.bcc)
    + field('subject', 'Subject', d.subject)
    + `<label for="f-body">Message</label><textarea id="f-body" name="body" rows="16">${esc(d.body)}</textarea>`
    + `<label for="f-attachments">Attachments</label><input type="file" id="f-attachments" name="attachments" multiple>`
    + `<div class="compose-actions"><button type="submit" name="action" value="send" class="primary action-send">Send</button>`
    + `<button type="submit" name="action" value="draft" class="action-save-draft">Save draft</button></div>`
    + `</form></section>`;
}
