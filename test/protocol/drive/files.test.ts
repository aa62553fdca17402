import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];

t.test('drive verbs over the wire', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;

  const anon = await request(`${d}/`);
  t.equal(anon.status, 401, 'no credentials -> 401');
  t.match(anon.headers.get('www-authenticate') ?? '', /Basic/);

  const root = await request(`${d}/`, { basic: A });
  t.equal(root.status, 200);
  t.match(root.json, { path: '', type: 'dir', self_files: 0, total_files: 0, children: [] }, 'empty root listing');

  const put = await request(`${d}/docs/a.txt`, { method: 'PUT', basic: A, body: 'abc' });
  t.equal(put.status, 201, 'PUT creates with parents');
  const etag = put.headers.get('etag')!;
  t.match(etag, /^"[0-9a-f]{32}"$/, 'SHA-256 etag, 32 hex');
  t.equal(etag, '"ba7816bf8f01cfea414140de5dae2223"');

  const get = await request(`${d}/docs/a.txt`, { basic: A });
  t.equal(get.status, 200);
  t.equal(get.text, 'abc');
  t.equal(get.headers.get('content-type'), 'text/plain');
  t.equal(get.headers.get('etag'), etag);

  const nm = await request(`${d}/docs/a.txt`, { basic: A, headers: { 'if-none-match': etag } });
  t.equal(nm.status, 304, 'If-None-Match -> 304');

  const head = await request(`${d}/docs/a.txt`, { method: 'HEAD', basic: A });
  t.equal(head.status, 200);
  t.equal(head.headers.get('content-length'), '3');
  t.equal(head.text, '');

  const range = await request(`${d}/docs/a.txt`, { basic: A, headers: { range: 'bytes=1-' } });
  t.equal(range.status, 206);
  t.equal(range.text, 'bc');
  t.equal(range.headers.get('content-range'), 'bytes 1-2/3');
  const suffix = await request(`${d}/docs/a.txt`, { basic: A, headers: { range: 'bytes=-1' } });
  t.equal(suffix.text, 'c');
  const bad = await request(`${d}/docs/a.txt`, { basic: A, headers: { range: 'bytes=9-' } });
  t.equal(bad.status, 416);
  t.equal(bad.headers.get('content-range'), 'bytes */3');

  const inm = await request(`${d}/docs/a.txt`, { method: 'PUT', basic: A, body: 'x', headers: { 'if-none-match': '*' } });
  t.equal(inm.status, 412, 'If-None-Match: * on existing -> 412');
  const im = await request(`${d}/docs/a.txt`, { method: 'PUT', basic: A, body: 'x', headers: { 'if-match': '"nope"' } });
  t.equal(im.status, 412, 'If-Match mismatch -> 412');
  const ok = await request(`${d}/docs/a.txt`, { method: 'PUT', basic: A, body: 'abcd', headers: { 'if-match': etag } });
  t.equal(ok.status, 200, 'If-Match match -> overwrite 200');

  const listing = await request(`${d}/docs`, { basic: A });
  t.match(listing.json, { path: 'docs', type: 'dir', self_files: 1, self_bytes: 4, total_files: 1, total_bytes: 4 });
  t.match(listing.json.children[0], { name: 'a.txt', type: 'file', size: 4, content_type: 'text/plain' });
  const top = await request(`${d}/`, { basic: A });
  t.match(top.json, { total_files: 1, total_dirs: 1, total_bytes: 4, self_dirs: 1, self_files: 0 });

  const mk = await request(`${d}/p/q/r?action=mkdir`, { method: 'POST', basic: A });
  t.equal(mk.status, 201, 'POST ?action=mkdir creates path and parents');
  const mk2 = await request(`${d}/p/q/r?action=mkdir`, { method: 'POST', basic: A });
  t.equal(mk2.status, 200, 'mkdir again -> 200');

  t.equal((await request(`${d}/m1`, { method: 'MKCOL', basic: A })).status, 201);
  t.equal((await request(`${d}/m1`, { method: 'MKCOL', basic: A })).status, 405, 'MKCOL existing -> 405');
  t.equal((await request(`${d}/zz/m2`, { method: 'MKCOL', basic: A })).status, 409, 'MKCOL no parent -> 409');
  t.equal((await request(`${d}/m3`, { method: 'MKCOL', basic: A, body: 'x' })).status, 415, 'MKCOL body -> 415');

  const pf = await request(`${d}/docs/a.txt`, { method: 'PROPFIND', basic: A });
  t.match(pf.json, { path: 'docs/a.txt', type: 'file', size: 4 });
  t.notOk('children' in pf.json);
  const pfd = await request(`${d}/docs`, { method: 'PROPFIND', basic: A });
  t.match(pfd.json, { path: 'docs', type: 'dir', total_files: 1 });

  const mv = await request(`${d}/docs/a.txt`, { method: 'MOVE', basic: A, headers: { destination: `${d}/m1/b.txt` } });
  t.equal(mv.status, 201);
  t.equal((await request(`${d}/docs/a.txt`, { basic: A })).status, 404);
  t.equal((await request(`${d}/m1/b.txt`, { basic: A })).text, 'abcd');
  await request(`${d}/docs/c.txt`, { method: 'PUT', basic: A, body: 'c' });
  const mvF = await request(`${d}/docs/c.txt`, { method: 'MOVE', basic: A, headers: { destination: '/drive/m1/b.txt', overwrite: 'F' } });
  t.equal(mvF.status, 412, 'Overwrite: F -> 412');
  const mvT = await request(`${d}/docs/c.txt`, { method: 'MOVE', basic: A, headers: { destination: '/drive/m1/b.txt' } });
  t.equal(mvT.status, 204, 'overwrite -> 204');
  t.equal((await request(`${d}/m1/b.txt`, { basic: A })).text, 'c');

  const cp = await request(`${d}/m1`, { method: 'COPY', basic: A, headers: { destination: '/drive/m9' } });
  t.equal(cp.status, 201);
  t.equal((await request(`${d}/m9/b.txt`, { basic: A })).text, 'c');

  t.equal((await request(`${d}/m1`, { method: 'DELETE', basic: A })).status, 204, 'recursive DELETE');
  t.equal((await request(`${d}/m1`, { method: 'DELETE', basic: A })).status, 404);
  t.equal((await request(`${d}/`, { method: 'DELETE', basic: A })).status, 403, 'root never deletable');
  const after = await request(`${d}/`, { basic: A });
  t.match(after.json, { total_files: 1, total_bytes: 1 });

  const opt = await request(`${d}/`, { method: 'OPTIONS' });
  t.equal(opt.headers.get('dav'), '1, 2');
  t.match(opt.headers.get('allow') ?? '', /PROPFIND/);

  const empty = await request(`${d}/e.bin`, { method: 'PUT', basic: A, body: '' });
  t.equal(empty.status, 201, 'empty PUT');
  t.equal((await request(`${d}/e.bin`, { basic: A })).text, '');
  t.ok(existsSync(join(s.root, 'domains/example.com/users/alice/drive/_meta.json')));
  t.ok(existsSync(join(s.root, 'domains/example.com/users/alice/drive/files/_index.json')));
});
