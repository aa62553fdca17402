import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { WebClient } from '../../helpers/webmail.js';

t.test('drive screens: tiles, upload, folder upload, mkdir, delete, share, public view', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = s.config.public_url;
  const c = new WebClient(s.url);
  await c.login('alice@example.com', 'pw-alice');
  const cookie = () => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

  const root = await c.get('/webmail/drive/');
  t.equal(root.status, 200);
  const grid = root.$('section.drive-grid')!;
  t.same([grid.getAttribute('data-path'), grid.getAttribute('data-total-files'), grid.getAttribute('data-total-dirs'), grid.getAttribute('data-total-bytes')], ['', '0', '0', '0']);
  t.ok(root.$('.drive-breadcrumb .crumb'));
  t.ok(root.$('.drive-stats'));
  t.ok(root.$('form.upload-files input[type=file][multiple]'));
  t.ok(root.$('form.upload-folder input[type=file][webkitdirectory]'));
  t.ok(root.$('form.new-folder input[name=name]'));
  const csrf = WebClient.csrf(root);
  const upAction = root.$('form.upload-files')!.getAttribute('action')!;
  t.ok(upAction.startsWith(`${base}/webmail/drive/_op/upload?`));

  // mkdir, then upload files and a folder (filenames with /)
  t.equal((await c.post('/webmail/drive/_op/mkdir', { csrf, path: '', name: 'docs' })).status, 303);
  t.equal((await c.post('/webmail/drive/_op/mkdir', { path: '', name: 'nope' })).status, 403, 'mkdir without CSRF refused');
  const fd = new FormData();
  fd.append('files', new Blob(['hello world']), 'readme.txt');
  fd.append('files', new Blob([Buffer.from([0x89, 0x50, 0x4e, 0x47])]), 'photo.png');
  const up = await fetch(upAction.replace(base, s.url).replace('path=', 'path=docs'), { method: 'POST', body: fd, redirect: 'manual', headers: { cookie: cookie() } });
  t.equal(up.status, 303);
  t.equal(up.headers.get('location'), `${base}/webmail/drive/docs/`);
  const folder = new FormData();
  folder.append('files', new Blob(['a']), 'project/src/a.ts');
  folder.append('files', new Blob(['bb']), 'project/notes.md');
  const up2 = await fetch(upAction.replace(base, s.url), { method: 'POST', body: folder, redirect: 'manual', headers: { cookie: cookie() } });
  t.equal(up2.status, 303, 'folder upload');
  const noCsrf = new FormData();
  noCsrf.append('files', new Blob(['x']), 'x.txt');
  const up3 = await fetch(`${s.url}/webmail/drive/_op/upload?path=`, { method: 'POST', body: noCsrf, redirect: 'manual', headers: { cookie: cookie() } });
  t.equal(up3.status, 403, 'upload without CSRF refused');
  const evil = new FormData();
  evil.append('files', new Blob(['x']), '../escape.txt');
  const up4 = await fetch(upAction.replace(base, s.url), { method: 'POST', body: evil, redirect: 'manual', headers: { cookie: cookie() } });
  t.equal(up4.status, 400, 'traversal refused');

  const r2 = await c.get('/webmail/drive/');
  const g2 = r2.$('section.drive-grid')!;
  t.equal(g2.getAttribute('data-total-files'), '4');
  t.equal(g2.getAttribute('data-total-dirs'), '3');
  t.equal(g2.getAttribute('data-total-bytes'), String(11 + 4 + 1 + 2));
  t.ok(r2.$('.tile-wrap[data-path="docs"][data-type="dir"] a.tile-dir .tile-name'));
  t.ok(r2.$('.tile-wrap[data-path="project"][data-type="dir"]'));
  const docs = await c.get('/webmail/drive/docs/');
  t.equal(docs.$$('.drive-breadcrumb .crumb').length, 2);
  const png = docs.$('.tile-wrap[data-path="docs/photo.png"][data-type="file"]')!;
  t.ok(png.querySelector('a.tile-file.icon-photo'));
  t.match(png.querySelector('.tile-meta')!.textContent, /4 B/);
  t.ok(docs.$('.tile-wrap[data-path="docs/readme.txt"] a.icon-document'));
  t.ok(docs.$('.tile-wrap[data-path="docs/readme.txt"] a.tile-share'), 'share icon');
  t.ok(docs.$('.tile-wrap[data-path="docs/readme.txt"] button.tile-delete[form="tile-delete-form"]'), 'per-tile delete joins the sibling form');
  t.ok(docs.$('input.row-check[form="bulk-delete-form"][value="readme.txt"]'));
  t.ok(docs.$('form#tile-delete-form') && docs.$('form#bulk-delete-form'), 'sibling forms');
  t.notOk(docs.$('section.drive-grid form'), 'no nested forms in the grid');
  const dl = await fetch(`${s.url}/webmail/drive/_download/docs/readme.txt`, { headers: { cookie: cookie() } });
  t.equal(await dl.text(), 'hello world');
  // a file past the in-memory size is sent from its descriptor, byte-exact, with its length
  const big = Buffer.alloc(300 * 1024 + 7, 0).map((_, i) => (i * 31) & 0xff);
  const put = await fetch(`${s.url}/drive/docs/big.bin`, {
    method: 'PUT', body: new Uint8Array(big), headers: { authorization: `Basic ${Buffer.from('alice@example.com:pw-alice').toString('base64')}` },
  });
  t.equal(put.status, 201);
  const bigDl = await fetch(`${s.url}/webmail/drive/_download/docs/big.bin`, { headers: { cookie: cookie() } });
  t.equal(bigDl.status, 200);
  t.equal(bigDl.headers.get('content-length'), String(big.length));
  t.equal(bigDl.headers.get('content-disposition')?.startsWith('attachment'), true);
  t.ok(Buffer.from(await bigDl.arrayBuffer()).equals(big), 'big download byte-exact');
  t.equal((await fetch(`${s.url}/webmail/drive/_download/docs/missing.bin`, { headers: { cookie: cookie() } })).status, 404);
  for (const a of [...docs.$$('a[href]'), ...docs.$$('form[action]')]) {
    const url = a.getAttribute('href') ?? a.getAttribute('action');
    t.ok(url!.startsWith(base), `absolute ${url}`);
  }

  // delete with confirmation
  const confirm = await c.post('/webmail/drive/_op/delete', { csrf, path: 'docs', item: 'photo.png' });
  t.equal(confirm.status, 200);
  t.ok(confirm.$('button.action-confirm-delete'));
  t.ok(await s.services.drive.stat('alice@example.com', ['docs', 'photo.png']), 'not deleted before confirming');
  t.equal((await c.post('/webmail/drive/_op/delete', { csrf, path: 'docs', item: 'photo.png', confirm: '1' })).status, 303);
  t.notOk(await s.services.drive.stat('alice@example.com', ['docs', 'photo.png']));

  // share the project folder with R+C (no overwrite, no delete)
  const form = await c.get('/webmail/drive/project/_share');
  t.equal(form.status, 200);
  t.ok(form.$('form.share-form input[name=name]'));
  const made = await c.post('/webmail/drive/project/_share', { csrf, name: 'Project X', perm: ['C'] });
  t.equal(made.status, 303);
  const shares = await c.get('/webmail/drive/_shared');
  const row = shares.$('li.share-row')!;
  t.equal(row.getAttribute('data-permissions'), 'RC');
  const url = (row.querySelector('input.share-url') as any).getAttribute('value') as string;
  t.match(url, new RegExp(`^${base}/drive/[A-Za-z0-9_-]{32}/Project%20X$`));
  const uid = row.getAttribute('data-uid')!;

  // public view in a fresh browser (no login)
  const v = new WebClient(s.url);
  const redirectRes = await fetch(url.replace(base, s.url), { headers: { accept: 'text/html' }, redirect: 'manual' });
  t.equal(redirectRes.status, 302, 'browser hitting the link is redirected to the file manager');
  const pub = await v.get(`/webmail/drive/${uid}/Project%20X/`);
  t.equal(pub.status, 200);
  t.equal(pub.$('section.drive-grid')!.getAttribute('data-path'), '');
  t.equal(pub.$('section.drive-grid')!.getAttribute('data-total-files'), '2');
  t.ok(pub.$('.tile-wrap[data-path="src"][data-type="dir"]'), 'share-relative paths');
  t.ok(pub.$('.tile-wrap[data-path="notes.md"] a.icon-code') || pub.$('.tile-wrap[data-path="notes.md"]'));
  t.notOk(pub.$('form.upload-files'), 'no upload without U');
  t.ok(pub.$('form.new-folder'), 'new folder with C');
  t.notOk(pub.$('.tile-delete'), 'no delete without D');
  t.notOk(pub.$('.tile-share'), 'visitors cannot share');
  t.notOk(pub.text.includes('alice@example.com/drive'), 'owner layout not exposed');
  const vcsrf = WebClient.csrf(pub);
  t.equal((await v.post('/webmail/drive/_op/mkdir', { csrf: vcsrf, share: uid, path: '', name: 'incoming' })).status, 303);
  t.ok(await s.services.drive.stat('alice@example.com', ['project', 'incoming']), 'visitor created a folder');
  t.equal((await v.post('/webmail/drive/_op/delete', { csrf: vcsrf, share: uid, path: '', item: 'notes.md', confirm: '1' })).status, 403, 'no D');
  t.equal((await v.post('/webmail/drive/_op/mkdir', { share: uid, path: '', name: 'x' })).status, 403, 'visitor CSRF');
  const sub = await v.get(`/webmail/drive/${uid}/Project%20X/src/`);
  t.equal(sub.$('section.drive-grid')!.getAttribute('data-path'), 'src');
  t.equal((await v.get(`/webmail/drive/${uid}/Project%20X/..%2F..`)).status, 400);

  // revoke
  t.equal((await c.post('/webmail/drive/_shared/revoke', { csrf, uid })).status, 303);
  t.equal((await v.get(`/webmail/drive/${uid}/Project%20X/`)).status, 303, 'revoked link: falls to the owner route (login)');
});
