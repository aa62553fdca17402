import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];

t.test('WebDAV XML: PROPFIND 207, PROPPATCH dead properties, LOCK/UNLOCK', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/docs/a b.txt`, { method: 'PUT', basic: A, body: 'hello' });

  const pf = await request(`${d}/docs/`, { method: 'PROPFIND', basic: A, headers: { depth: '1', 'content-type': 'application/xml' },
    body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/><D:getcontentlength/><X:nope xmlns:X="urn:x"/></D:prop></D:propfind>' });
  t.equal(pf.status, 207);
  t.match(pf.headers.get('content-type'), /xml/);
  t.match(pf.text, '<D:href>/drive/docs/</D:href>');
  t.match(pf.text, '<D:href>/drive/docs/a%20b.txt</D:href>');
  t.match(pf.text, '<D:collection/>');
  t.match(pf.text, '<D:getcontentlength>5</D:getcontentlength>');
  t.match(pf.text, /HTTP\/1.1 404/, 'unknown property -> 404 propstat');
  const acc = await request(`${d}/docs/`, { method: 'PROPFIND', basic: A, headers: { depth: '0', accept: 'application/xml' } });
  t.equal(acc.status, 207, 'Accept: application/xml -> multistatus');
  t.equal((await request(`${d}/docs/`, { method: 'PROPFIND', basic: A, body: '<D:propfind xmlns:D="DAV:"><D:prop>' })).status, 400, 'malformed XML -> 400');
  t.equal((await request(`${d}/docs/`, { method: 'PROPFIND', basic: A, body: '<!DOCTYPE x [<!ENTITY e "x">]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' })).status, 400, 'entities refused');
  t.equal((await request(`${d}/docs/`, { method: 'PROPFIND', basic: A, headers: { depth: 'infinity' }, body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' })).status, 403, 'Depth infinity refused');

  const pp = await request(`${d}/docs/a%20b.txt`, { method: 'PROPPATCH', basic: A,
    body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>blue &amp; <Z:b>bold</Z:b></Z:color></D:prop></D:set></D:propertyupdate>' });
  t.equal(pp.status, 207);
  const got = await request(`${d}/docs/a%20b.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' },
    body: '<D:propfind xmlns:D="DAV:"><D:prop><Z:color xmlns:Z="urn:z"/></D:prop></D:propfind>' });
  t.match(got.text, /<P:color xmlns:P="urn:z">blue &amp; <x:b xmlns:x="urn:z">bold<\/x:b><\/P:color>/, 'dead property round-trips');
  const prot = await request(`${d}/docs/a%20b.txt`, { method: 'PROPPATCH', basic: A,
    body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>' });
  t.match(prot.text, /HTTP\/1.1 403/, 'live property protected');

  const lock = await request(`${d}/docs/a%20b.txt`, { method: 'LOCK', basic: A, headers: { timeout: 'Second-60' },
    body: '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>' });
  t.equal(lock.status, 200);
  const token = lock.headers.get('lock-token')!;
  t.match(token, /^<opaquelocktoken:/);
  t.equal((await request(`${d}/docs/a%20b.txt`, { method: 'PUT', basic: A, body: 'x' })).status, 423, 'locked without token -> 423');
  t.equal((await request(`${d}/docs/a%20b.txt`, { method: 'PUT', basic: A, body: 'x', headers: { if: `(${token})` } })).status, 200, 'with token -> ok');
  t.equal((await request(`${d}/docs`, { method: 'DELETE', basic: A })).status, 423, 'parent delete blocked by lock below');
  t.equal((await request(`${d}/docs/a%20b.txt`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': '<opaquelocktoken:nope>' } })).status, 409);
  t.equal((await request(`${d}/docs/a%20b.txt`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': token } })).status, 204);
  t.equal((await request(`${d}/docs/a%20b.txt`, { method: 'PUT', basic: A, body: 'y' })).status, 200, 'unlocked');

  for (const verb of ['PROPFIND', 'PROPPATCH', 'MKCOL', 'MOVE', 'COPY', 'LOCK', 'UNLOCK']) {
    const r = await request(`${d}/zz-${verb}`, { method: verb, basic: A });
    t.not(r.status, 405, `${verb} reaches its handler`);
    t.ok(r.status < 500, `${verb} no server error`);
  }
});

const litmus = spawnSync('sh', ['-c', 'command -v litmus']).stdout.toString().trim();
t.test('litmus: basic, copymove, props, locks', { skip: litmus && existsSync(litmus) ? false : 'litmus not installed (apt-get install litmus)' }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const { spawn } = await import('node:child_process');
  const out = await new Promise<string>((resolve) => {
    const p = spawn(litmus, ['-k', `${s.url}/drive/`, A[0], A[1]], { env: { ...process.env, TESTS: 'basic copymove props locks' }, cwd: s.root });
    let text = '';
    p.stdout.on('data', (b) => (text += b));
    p.stderr.on('data', (b) => (text += b));
    p.on('close', () => resolve(text));
  });
  for (const group of ['basic', 'copymove', 'props', 'locks']) {
    const m = new RegExp(`summary for \`${group}': of (\\d+) tests run: (\\d+) passed, (\\d+) failed`).exec(out);
    t.ok(m, `${group} ran`);
    if (m) {
      t.equal(m[3], '0', `${group}: ${m[2]}/${m[1]} passed`);
      t.comment(`litmus ${group}: ${m[2]}/${m[1]}`);
    }
  }
  t.notMatch(out, /WARNING/, 'no litmus warnings');
});
