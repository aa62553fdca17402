import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const B: [string, string] = ['bob@example.com', 'pw-bob'];

t.test('share API and the permission matrix', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  await s.addUser(B[0], B[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/proj/a.txt`, { method: 'PUT', basic: A, body: 'aaa' });
  await request(`${d}/proj/sub/b.txt`, { method: 'PUT', basic: A, body: 'bb' });
  await request(`${d}/docs/budget.xlsx`, { method: 'PUT', basic: A, body: 'xlsx' });

  t.equal((await request(`${d}/_share`, { method: 'POST', body: { target_path: 'proj' } })).status, 401, 'share API needs auth');
  const fileShare = await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: 'docs/budget.xlsx', name: 'Q3 Budget', permissions: 'R' } });
  t.equal(fileShare.status, 201);
  const rec = fileShare.json;
  t.match(rec.uid, /^[A-Za-z0-9_-]{32}$/, 'uid: 32 chars URL-safe base64');
  t.match(rec, { owner: 'alice@example.com', target_path: 'docs/budget.xlsx', name: 'Q3 Budget', permissions: 'R', expires: null });
  t.equal(rec.url, `${s.config.public_url}/drive/${rec.uid}/Q3%20Budget`);
  t.ok(existsSync(join(s.root, 'shares', rec.uid.slice(0, 2), `${rec.uid}.json`)), 'sharded share file');
  t.same(JSON.parse(readFileSync(join(s.root, 'domains/example.com/users/alice/drive/_shares.json'), 'utf8')), [rec.uid], 'owner index holds UIDs');

  const dl = await request(`${d}/${rec.uid}/Q3%20Budget`);
  t.equal(dl.status, 200, 'anyone can download');
  t.equal(dl.text, 'xlsx');
  t.ok(dl.headers.get('etag'));
  t.equal((await request(`${d}/${rec.uid}/Q3%20Budget`, { method: 'PUT', body: 'x' })).status, 403, 'R only: no overwrite');
  t.equal((await request(`${d}/${rec.uid}/Q3%20Budget`, { method: 'DELETE' })).status, 403, 'R only: no delete');
  t.equal((await request(`${d}/${rec.uid}/bad..name`)).status, 400, 'share name validated');

  const defName = await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: 'proj' } });
  t.equal(defName.json.name, 'proj', 'name defaults to last component');
  t.equal(defName.json.permissions, 'R');
  t.equal((await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: '' } })).status, 400, 'root not shareable');
  t.equal((await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: 'nope' } })).status, 404);
  t.equal((await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: 'proj', permissions: 'RX' } })).status, 400);
  t.equal((await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: '../x' } })).status, 400);

  // permission matrix on a directory share
  const combos = ['R', 'RC', 'RU', 'RD', 'RCUD'];
  for (const perms of combos) {
    const sh = (await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: 'proj', permissions: perms } })).json;
    const base = `${d}/${sh.uid}/proj`;
    const has = (l: string) => perms.includes(l);
    const tag = `[${perms}]`;
    t.equal((await request(`${base}/`)).status, 200, `${tag} GET listing`);
    t.equal((await request(`${base}/a.txt`)).status, 200, `${tag} GET file`);
    t.equal((await request(`${base}/a.txt`, { method: 'HEAD' })).status, 200, `${tag} HEAD`);
    t.equal((await request(`${base}/`, { method: 'PROPFIND' })).status, 200, `${tag} PROPFIND`);
    t.equal((await request(`${base}/new-${perms}.txt`, { method: 'PUT', body: 'n' })).status, has('C') ? 201 : 403, `${tag} PUT new needs C`);
    t.equal((await request(`${base}/a.txt`, { method: 'PUT', body: 'over' })).status, has('U') ? 200 : 403, `${tag} PUT overwrite needs U`);
    t.equal((await request(`${base}/m-${perms}?action=mkdir`, { method: 'POST' })).status, has('C') ? 201 : 403, `${tag} POST mkdir needs C`);
    t.equal((await request(`${base}/k-${perms}`, { method: 'MKCOL' })).status, has('C') ? 201 : 403, `${tag} MKCOL needs C`);
    const form = new FormData();
    form.append('file', new Blob(['up']), `up-${perms}.txt`);
    const up = await fetch(`${base}/`, { method: 'POST', body: form });
    t.equal(up.status, has('U') ? 201 : 403, `${tag} multipart needs U`);
    await request(`${d}/proj/del-${perms}.txt`, { method: 'PUT', basic: A, body: 'd' });
    t.equal((await request(`${base}/del-${perms}.txt`, { method: 'DELETE' })).status, has('D') ? 204 : 403, `${tag} DELETE needs D`);
    t.equal((await request(`${base}/`, { method: 'DELETE' })).status, 403, `${tag} share root never deletable`);
    t.equal((await request(`${base}/a.txt`, { method: 'MOVE', headers: { destination: `/drive/${sh.uid}/proj/z.txt` } })).status, 403, `${tag} MOVE refused`);
    t.equal((await request(`${base}/../../x`)).status, 401, `${tag} fetch-normalized traversal leaves the share (owner path, needs auth)`);
  }
  t.equal((await request(`${d}/proj/a.txt`, { basic: A })).status, 200, 'share root still there');

  // sub-path listing is share-relative; Accept: text/html redirects directories
  const sh = defName.json;
  const sub = await request(`${d}/${sh.uid}/proj/sub`);
  t.equal(sub.json.path, 'sub', 'listing path is share-relative');
  const html = await request(`${d}/${sh.uid}/proj/sub`, { headers: { accept: 'text/html,*/*' } });
  t.equal(html.status, 302);
  t.equal(html.headers.get('location'), `/webmail/drive/${sh.uid}/proj/sub`);
  const htmlFile = await request(`${d}/${sh.uid}/proj/a.txt`, { headers: { accept: 'text/html' } });
  t.equal(htmlFile.status, 200, 'files stream inline even for browsers');

  // list / get / patch / delete, owner only
  const list = await request(`${d}/_share`, { basic: A });
  t.equal(list.json.shares.length, 2 + combos.length);
  t.equal((await request(`${d}/_share`, { basic: B })).json.shares.length, 0);
  t.equal((await request(`${d}/_share/${sh.uid}`, { basic: A })).json.uid, sh.uid);
  t.equal((await request(`${d}/_share/${sh.uid}`, { basic: B })).status, 404, 'not the owner -> 404');
  t.equal((await request(`${d}/_share/${sh.uid}`, { method: 'DELETE', basic: B })).status, 404);
  const patched = await request(`${d}/_share/${sh.uid}`, { method: 'PATCH', basic: A, body: { name: 'Renamed', permissions: 'RC' } });
  t.match(patched.json, { name: 'Renamed', permissions: 'RC' });
  t.equal((await request(`${d}/${sh.uid}/Renamed/new2.txt`, { method: 'PUT', body: 'x' })).status, 201, 'patched permissions apply');

  // expiry
  const past = await request(`${d}/_share/${sh.uid}`, { method: 'PATCH', basic: A, body: { expires: Math.floor(Date.now() / 1000) - 10 } });
  t.match(past.json.expires, /^\d{4}-\d\d-\d\dT/);
  t.equal((await request(`${d}/${sh.uid}/proj/a.txt`)).status, 404, 'expired share -> 404');
  await request(`${d}/_share/${sh.uid}`, { method: 'PATCH', basic: A, body: { expires: new Date(Date.now() + 3600_000).toISOString() } });
  t.equal((await request(`${d}/${sh.uid}/proj/a.txt`)).status, 200, 'future expiry works');
  t.equal((await request(`${d}/_share/${sh.uid}`, { method: 'PATCH', basic: A, body: { expires: 'soon' } })).status, 400);

  // revocation is immediate
  t.equal((await request(`${d}/_share/${sh.uid}`, { method: 'DELETE', basic: A })).status, 204);
  t.equal((await request(`${d}/${sh.uid}/proj/a.txt`)).status, 404, 'revoked share -> 404');
  t.notOk(existsSync(join(s.root, 'shares', sh.uid.slice(0, 2), `${sh.uid}.json`)));
  t.equal((await request(`${d}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x`)).status, 404, 'unknown UID -> 404');
});
