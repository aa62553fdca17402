/**
 * GET /docs/ and /docs/{page}: the user documentation, docs/*.md in the repository, rendered
 * to HTML with `marked` (the files are ours, so their HTML is trusted). `{public_url}` in a page
 * becomes config.public_url and root-relative links become absolute, as in the webmail.
 */
import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';
import type { Router } from './router.js';
import type { Services } from '../services/index.js';
import type { HttpRequest, Reply } from './types.js';
import { esc } from './webmail/views/html.js';
import { head } from './webmail/views/layout.js';
import { html } from './webmail/web.js';

/** The docs folder of the package (next to src/ and dist/). */
export const DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));

const PAGE = /^[a-z0-9][a-z0-9-]{0,63}$/;

interface DocPage {
  name: string;
  title: string;
  html: string;
}

/** Render one markdown text for a server whose public URL is `base`. */
export function renderMarkdown(md: string, base: string): string {
  const out = marked.parse(md.replaceAll('{public_url}', base), { async: false, gfm: true });
  return out.replace(/(href|src)="\/(?!\/)/g, `$1="${base}/`);
}

async function loadPages(base: string): Promise<Map<string, DocPage>> {
  const pages = new Map<string, DocPage>();
  let names: string[] = [];
  try {
    names = (await fsp.readdir(DOCS_DIR)).filter((n) => n.endsWith('.md')).sort();
  } catch {
    /* no docs folder: an empty index */
  }
  for (const file of names) {
    const name = file.slice(0, -3).toLowerCase();
    if (!PAGE.test(name)) continue;
    const md = await fsp.readFile(DOCS_DIR + file, 'utf8');
    const title = /^#\s+(.+)$/m.exec(md)?.[1]?.trim() ?? name;
    pages.set(name, { name, title, html: renderMarkdown(md, base) });
  }
  return pages;
}

function shell(base: string, title: string, pages: Map<string, DocPage>, current: string, body: string): string {
  const nav = [...pages.values()]
    .filter((p) => p.name !== 'index')
    .map((p) => `<li><a href="${base}/docs/${p.name}"${p.name === current ? ' aria-current="page"' : ''}>${esc(p.title)}</a></li>`)
    .join('');
  return `${head(base, title)}<body class="section-docs"><header class="topbar"><a class="brand" href="${base}/docs/">rmail docs</a>`
    + `<nav class="topnav"><a href="${base}/webmail/INBOX">Webmail</a></nav></header>`
    + `<div class="layout"><aside class="sidebar docs-nav"><ul class="side-links docs-index">`
    + `<li><a href="${base}/docs/">Overview</a></li>${nav}</ul></aside>`
    + `<main class="content"><article class="docs" data-page="${esc(current)}">${body}</article></main></div></body></html>`;
}

/** Register the documentation routes. */
export function registerDocsRoutes(router: Router, services: Services): void {
  let cache: Promise<Map<string, DocPage>> | null = null;
  const pages = (): Promise<Map<string, DocPage>> => (cache ??= loadPages(services.config.public_url));
  const base = (): string => services.config.public_url;

  router.on(['GET', 'HEAD'], '/docs', { auth: 'none' }, async (): Promise<Reply> => {
    const all = await pages();
    const index = all.get('index');
    const list = [...all.values()].filter((p) => p.name !== 'index')
      .map((p) => `<li><a class="doc-link" href="${base()}/docs/${p.name}">${esc(p.title)}</a></li>`).join('');
    const body = (index ? index.html : '<h1>rmail documentation</h1>') + `<h2>Pages</h2><ul class="docs-index">${list}</ul>`;
    return html(base(), shell(base(), 'Documentation', all, 'index', body));
  });
  router.on(['GET', 'HEAD'], '/docs/:page', { auth: 'none' }, async (req: HttpRequest): Promise<Reply> => {
    const name = req.params.page!.replace(/\.(md|html)$/, '').toLowerCase();
    const all = await pages();
    const page = PAGE.test(name) ? all.get(name) : undefined;
    if (!page) {
      const body = `<h1>Not found</h1><p>There is no page "${esc(req.params.page)}". See the <a href="${base()}/docs/">index</a>.</p>`;
      return html(base(), shell(base(), 'Not found', all, '', body), 404);
    }
    return html(base(), shell(base(), page.title, all, name, page.html));
  });
}
