/** GET /webmail/assets/style.css: the stylesheet, cacheable, with a content ETag. */
import { createHash } from 'node:crypto';
import type { Router } from '../../router.js';
import type { Reply } from '../../types.js';
import { STYLE_CSS } from '../assets/style.js';

/** Register the static asset route. */
export function registerAssetRoutes(router: Router): void {
  const etag = `"${createHash('sha256').update(STYLE_CSS).digest('hex').slice(0, 32)}"`;
  router.on(['GET', 'HEAD'], '/webmail/assets/style.css', { auth: 'none' }, async (req): Promise<Reply> => {
    const headers = { etag, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' };
    if (req.headers['if-none-match'] === etag) return { status: 304, headers };
    return { status: 200, headers: { ...headers, 'content-type': 'text/css; charset=utf-8' }, body: STYLE_CSS };
  });
}
