/**
 * The drive file manager (reference.md Drive "Webmail UI" and "Webmail UI for sharing"), one
 * component for the owner's drive and for a public shared directory: `.drive-breadcrumb .crumb`,
 * toolbar (upload files, upload folder via webkitdirectory, new folder), `section.drive-grid`
 * with recursive totals, `.tile-wrap[data-path][data-type]` tiles (`.tile-dir` / `.tile-file`,
 * `.tile-name`, `.tile-meta`, icon by type), per-tile 🔗 share and × delete, multi-select with
 * the bulk bar shown by `:has(input.row-check:checked)`, and `.drive-stats`. The bulk and
 * per-tile delete forms are siblings of the toolbar; checkboxes and × buttons join them with
 * form="...". Controls are rendered only when allowed (share permissions). Pure.
 */
import { esc, abs, humanSize } from './html.js';

/** One child tile. */
export interface TileData {
  name: string;
  type: 'file' | 'dir';
  size: number;
  mtime: number;
  contentType: string;
}

/** What the file manager shows. */
export interface DriveData {
  base: string;
  csrf: string;
  /** URL prefix of this tree: `/webmail/drive` or `/webmail/drive/{uid}/{name}`. */
  root: string;
  /** Label of the root crumb. */
  rootLabel: string;
  /** Path components of the current directory, relative to the root. */
  sub: string[];
  /** Share UID when this is a public shared view. */
  share?: string;
  totals: { files: number; dirs: number; bytes: number };
  tiles: TileData[];
  /** URL of a file tile's content. */
  fileUrl: (rel: string[]) => string;
  can: { upload: boolean; mkdir: boolean; remove: boolean; share: boolean };
}

const CODE = /\.(js|ts|py|rb|go|rs|c|h|cpp|java|sh|json|xml|yml|yaml|toml|css|html?|sql|md)$/i;
const ARCHIVE = /\.(zip|tar|gz|tgz|bz2|xz|7z|rar|zst)$/i;
const DOC = /\.(pdf|docx?|odt|xlsx?|ods|pptx?|odp|txt|rtf|csv|epub)$/i;

/** The icon kind of a file: photo, audio, video, archive, document, code, or file. */
export function iconKind(name: string, contentType: string): string {
  if (contentType.startsWith('image/')) return 'photo';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  if (ARCHIVE.test(name)) return 'archive';
  if (CODE.test(name)) return 'code';
  if (DOC.test(name) || contentType.startsWith('text/')) return 'document';
  return 'file';
}

const LABEL: Record<string, string> = {
  folder: 'DIR', photo: 'IMG', audio: 'AUD', video: 'VID', archive: 'ZIP', document: 'DOC', code: '</>', file: 'FILE',
};

const enc = (parts: string[]): string => parts.map(encodeURIComponent).join('/');
const dirUrl = (d: DriveData, parts: string[]): string => abs(d.base, `${d.root}/${enc(parts)}${parts.length ? '/' : ''}`);
const opUrl = (d: DriveData, op: string, extra = ''): string =>
  abs(d.base, `/webmail/drive/_op/${op}?path=${encodeURIComponent(d.sub.join('/'))}${d.share ? `&share=${d.share}` : ''}${extra}`);

function hidden(d: DriveData): string {
  return `<input type="hidden" name="csrf" value="${esc(d.csrf)}"><input type="hidden" name="path" value="${esc(d.sub.join('/'))}">`
    + (d.share ? `<input type="hidden" name="share" value="${esc(d.share)}">` : '');
}

function breadcrumb(d: DriveData): string {
  const crumbs = [`<a class="crumb" href="${dirUrl(d, [])}">${esc(d.rootLabel)}</a>`];
  d.sub.forEach((p, i) => crumbs.push(`<a class="crumb" href="${dirUrl(d, d.sub.slice(0, i + 1))}"${i === d.sub.length - 1 ? ' aria-current="page"' : ''}>${esc(p)}</a>`));
  return `<nav class="drive-breadcrumb" aria-label="Folder path">${crumbs.join('<span class="sep">/</span>')}</nav>`;
}

function toolbar(d: DriveData): string {
  const parts: string[] = [];
  if (d.can.upload) {
    const action = opUrl(d, 'upload', `&csrf=${encodeURIComponent(d.csrf)}`);
    parts.push(`<form class="upload-files" method="post" enctype="multipart/form-data" action="${action}">`
      + `<label>Upload files <input type="file" name="files" multiple required></label><button type="submit">Upload</button></form>`);
    parts.push(`<form class="upload-folder" method="post" enctype="multipart/form-data" action="${action}">`
      + `<label>Upload folder <input type="file" name="files" webkitdirectory directory multiple required></label><button type="submit">Upload</button></form>`);
  }
  if (d.can.mkdir) {
    parts.push(`<form class="new-folder" method="post" action="${opUrl(d, 'mkdir')}">${hidden(d)}`
      + `<label>New folder <input type="text" name="name" required placeholder="name or a/b/c"></label><button type="submit">Create</button></form>`);
  }
  return parts.length ? `<div class="drive-toolbar">${parts.join('')}</div>` : '';
}

function tile(d: DriveData, t: TileData): string {
  const rel = [...d.sub, t.name];
  const kind = t.type === 'dir' ? 'folder' : iconKind(t.name, t.contentType);
  const href = t.type === 'dir' ? dirUrl(d, rel) : d.fileUrl(rel);
  const date = new Date(t.mtime * 1000).toISOString().slice(0, 10);
  const meta = t.type === 'dir' ? `folder · ${date}` : `${humanSize(t.size)} · ${date}`;
  const check = d.can.remove
    ? `<input type="checkbox" class="row-check tile-check" form="bulk-delete-form" name="item" value="${esc(t.name)}" aria-label="Select ${esc(t.name)}">` : '';
  const share = d.can.share
    ? `<a class="tile-share" href="${abs(d.base, `/webmail/drive/${enc(rel)}/_share`)}" title="Share ${esc(t.name)}" aria-label="Share ${esc(t.name)}">🔗</a>` : '';
  const del = d.can.remove
    ? `<button type="submit" class="tile-delete" form="tile-delete-form" name="item" value="${esc(t.name)}" title="Delete ${esc(t.name)}" aria-label="Delete ${esc(t.name)}">×</button>` : '';
  return `<div class="tile-wrap" data-path="${esc(rel.join('/'))}" data-type="${t.type}">${check}`
    + `<a class="tile ${t.type === 'dir' ? 'tile-dir' : 'tile-file'} icon-${kind}" href="${href}">`
    + `<span class="tile-icon" aria-hidden="true">${esc(LABEL[kind])}</span><span class="tile-name">${esc(t.name)}</span>`
    + `<span class="tile-meta">${esc(meta)}</span></a>`
    + (share || del ? `<div class="tile-actions">${share}${del}</div>` : '') + `</div>`;
}

/** The whole file manager (inside main.content). */
export function driveView(d: DriveData): string {
  const dirs = d.tiles.filter((t) => t.type === 'dir').sort((a, b) => a.name.localeCompare(b.name));
  const files = d.tiles.filter((t) => t.type === 'file').sort((a, b) => a.name.localeCompare(b.name));
  const forms = d.can.remove
    ? `<form id="tile-delete-form" class="tile-delete-form" method="post" action="${opUrl(d, 'delete')}">${hidden(d)}</form>`
      + `<form id="bulk-delete-form" class="bulk-delete-form" method="post" action="${opUrl(d, 'delete')}">${hidden(d)}</form>` : '';
  const bulk = d.can.remove
    ? `<div class="bulk-bar" role="group" aria-label="Selected items"><button type="submit" form="bulk-delete-form" class="bulk-delete">Delete selected</button></div>` : '';
  const tiles = [...dirs, ...files].map((t) => tile(d, t)).join('');
  const path = d.sub.join('/');
  return `<div class="drive"${d.share ? ` data-share="${esc(d.share)}"` : ''}>${breadcrumb(d)}${toolbar(d)}${forms}`
    + `<section class="drive-grid" data-path="${esc(path)}" data-total-files="${d.totals.files}" data-total-dirs="${d.totals.dirs}" data-total-bytes="${d.totals.bytes}">`
    + bulk + (tiles ? `<div class="tiles">${tiles}</div>` : '<p class="empty">This folder is empty.</p>') + `</section>`
    + `<p class="drive-stats">${d.totals.files} file${d.totals.files === 1 ? '' : 's'} · ${d.totals.dirs} folder${d.totals.dirs === 1 ? '' : 's'} · ${humanSize(d.totals.bytes)}</p></div>`;
}

/** The delete confirmation (no script needed): the items and a confirm button. */
export function confirmDeleteView(base: string, csrf: string, path: string, share: string | undefined, items: string[], back: string): string {
  const fields = `<input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="path" value="${esc(path)}">`
    + (share ? `<input type="hidden" name="share" value="${esc(share)}">` : '') + `<input type="hidden" name="confirm" value="1">`
    + items.map((i) => `<input type="hidden" name="item" value="${esc(i)}">`).join('');
  return `<section class="confirm-delete"><h1>Delete ${items.length} item${items.length === 1 ? '' : 's'}?</h1>`
    + `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`
    + `<form method="post" action="${abs(base, `/webmail/drive/_op/delete`)}">${fields}`
    + `<button type="submit" class="action-confirm-delete primary">Delete</button> <a class="button" href="${esc(back)}">Cancel</a></form></section>`;
}
