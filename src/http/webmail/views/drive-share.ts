/**
 * Sharing screens (reference.md "Webmail UI for sharing"): the share form of one object at
 * /webmail/drive/{path}/_share (link name, CRUD permissions, expiry, plus the object's existing
 * links) and the shared-links page /webmail/drive/_shared (every link with a copyable URL,
 * permission badges and a revoke button). Pure.
 */
import { esc, abs, csrfField } from './html.js';

/** A share as listed. */
export interface ShareItem {
  uid: string;
  name: string;
  target_path: string;
  permissions: string;
  url: string;
  created: string;
  expires: string | null;
}

const LETTERS: [string, string][] = [['R', 'read'], ['C', 'create'], ['U', 'overwrite'], ['D', 'delete']];

function badges(p: string): string {
  return `<span class="perm-badges" data-permissions="${esc(p)}">${LETTERS.filter(([l]) => p.includes(l))
    .map(([l, label]) => `<span class="perm-badge perm-${l}" title="${label}">${l}</span>`).join('')}</span>`;
}

/** One share row with its copyable link and a revoke form. */
export function shareRow(base: string, csrf: string, s: ShareItem, back: string): string {
  return `<li class="share-row" data-uid="${esc(s.uid)}" data-target="${esc(s.target_path)}" data-permissions="${esc(s.permissions)}">`
    + `<div class="share-head"><span class="share-name">${esc(s.name)}</span> → <span class="share-target">${esc(s.target_path)}</span> ${badges(s.permissions)}`
    + (s.expires ? ` <span class="share-expires">expires ${esc(s.expires.slice(0, 10))}</span>` : '') + `</div>`
    + `<label class="share-url-label">Link <input class="share-url" type="text" readonly value="${esc(s.url)}"></label>`
    + `<a class="share-open" href="${esc(s.url)}">open</a>`
    + `<form class="share-revoke" method="post" action="${abs(base, '/webmail/drive/_shared/revoke')}">${csrfField(csrf)}`
    + `<input type="hidden" name="uid" value="${esc(s.uid)}"><input type="hidden" name="back" value="${esc(back)}">`
    + `<button type="submit" class="action-revoke">Revoke</button></form></li>`;
}

/** The share form for one object, with its existing links. */
export function shareFormView(base: string, csrf: string, target: string, isDir: boolean, defaultName: string, existing: ShareItem[], error?: string): string {
  const self = abs(base, `/webmail/drive/${target.split('/').map(encodeURIComponent).join('/')}/_share`);
  const checks = LETTERS.map(([l, label]) =>
    `<label class="inline"><input type="checkbox" name="perm" value="${l}"${l === 'R' ? ' checked disabled' : ''}${!isDir && l === 'C' ? ' disabled' : ''}> ${l} (${label})</label>`).join('');
  return `<section class="share-form-page" data-target="${esc(target)}"><h1>Share ${esc(target)}</h1>`
    + (error ? `<p class="form-error" role="alert">${esc(error)}</p>` : '')
    + `<form class="share-form compose-form" method="post" action="${self}">${csrfField(csrf)}`
    + `<label for="sh-name">Link name</label><input id="sh-name" name="name" type="text" value="${esc(defaultName)}" maxlength="128">`
    + `<fieldset class="perms"><legend>Permissions</legend>${checks}</fieldset>`
    + `<label for="sh-expires">Expires (optional)</label><input id="sh-expires" name="expires" type="date">`
    + `<div class="compose-actions"><button type="submit" class="primary action-create-share">Create link</button></div></form>`
    + `<h2>Existing links</h2>` + (existing.length ? `<ul class="share-list">${existing.map((s) => shareRow(base, csrf, s, self)).join('')}</ul>` : '<p class="empty">No links yet.</p>')
    + `</section>`;
}

/** Every share of the user. */
export function sharedListView(base: string, csrf: string, shares: ShareItem[]): string {
  const self = abs(base, '/webmail/drive/_shared');
  return `<section class="shared-links" data-count="${shares.length}"><h1>Shared links</h1>`
    + (shares.length ? `<ul class="share-list">${shares.map((s) => shareRow(base, csrf, s, self)).join('')}</ul>` : '<p class="empty">You have not shared anything yet.</p>')
    + `</section>`;
}
