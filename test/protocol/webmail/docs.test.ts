import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { WebClient } from '../../helpers/webmail.js';

t.test('documentation pages', async (t) => {
  const s = await startTestServer(t);
  const base = s.config.public_url;
  const c = new WebClient(s.url);
  const index = await c.get('/docs/');
  t.equal(index.status, 200);
  t.match(index.headers.get('content-security-policy'), /script-src 'none'/);
  const pages = index.$$('ul.docs-index a.doc-link').map((a) => a.getAttribute('href')!);
  for (const name of ['api', 'caldav', 'drive', 'sharing', 'webmail', 'clients', 'admin']) {
    t.ok(pages.includes(`${base}/docs/${name}`), `index links ${name}`);
    const p = await c.get(`/docs/${name}`);
    t.equal(p.status, 200, name);
    t.ok(p.$(`article.docs[data-page="${name}"] h1`), `${name} has a title`);
    t.notMatch(p.text, /\{public_url\}/, `${name}: placeholder replaced`);
    for (const a of p.$$('a[href]')) {
      const href = a.getAttribute('href')!;
      t.ok(/^https?:\/\//.test(href), `${name}: absolute link ${href}`);
    }
  }
  t.equal((await c.get('/docs/nope')).status, 404);
  t.equal((await c.get('/docs/..%2Fpackage.json')).status, 404);
});
