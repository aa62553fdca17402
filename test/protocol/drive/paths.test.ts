import t from 'tap';
import http from 'node:http';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const AUTH = `Basic ${Buffer.from('alice@example.com:pw-alice').toString('base64')}`;

/** A raw request: the path goes out exactly as written (fetch would normalize `..`). */
function raw(port: number, method: string, path: string, body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { authorization: AUTH, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function walk(dir: string, root = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, root, out);
    else out.push(relative(root, p));
  }
  return out;
}

t.test('every path-validation rule is a 400 and writes nothing', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const port = s.ports.http!;
  t.equal(await raw(port, 'PUT', '/drive/ok.txt', 'x'), 201, 'drive initialised');
  const before = walk(s.root).sort();
  const deep65 = '/drive/' + Array.from({ length: 65 }, () => 'a').join('/');
  const long256 = '/drive/' + 'b'.repeat(256);
  const bad: [string, string][] = [
    ['dot-dot', '/drive/../../etc/passwd'],
    ['dot-dot inside', '/drive/x/../../../y'],
    ['encoded %2e%2e', '/drive/%2e%2e/%2e%2e/escape.txt'],
    ['encoded slash traversal', '/drive/..%2f..%2fescape.txt'],
    ['dot', '/drive/./x.txt'],
    ['name with ..', '/drive/a..b'],
    ['NUL', '/drive/a%00b.txt'],
    ['control char', '/drive/a%01b.txt'],
    ['DEL char', '/drive/a%7fb.txt'],
    ['newline', '/drive/a%0ab.txt'],
    ['backslash', '/drive/a%5cb.txt'],
    ['encoded slash', '/drive/a%2fb.txt'],
    ['reserved _index.json', '/drive/_index.json'],
    ['reserved _index.lock', '/drive/docs/_index.lock'],
    ['reserved _meta.json', '/drive/_meta.json'],
    ['reserved _shares.json', '/drive/_shares.json'],
    ['reserved _ prefix dir', '/drive/_private/x.txt'],
    ['*.tmp', '/drive/upload.tmp'],
    ['*.TMP', '/drive/dir/UPLOAD.TMP'],
    ['depth 65', deep65],
    ['256-byte component', long256],
    ['256-byte multibyte component', '/drive/' + encodeURIComponent('é'.repeat(128))],
    ['bad escape', '/drive/%zz'],
  ];
  for (const [name, path] of bad) {
    for (const method of ['PUT', 'MKCOL', 'DELETE', 'GET']) {
      t.equal(await raw(port, method, path, method === 'PUT' ? 'evil' : ''), 400, `${method} ${name} -> 400`);
    }
  }
  const mk = await raw(port, 'POST', '/drive/%2e%2e/x?action=mkdir');
  t.equal(mk, 400, 'POST mkdir traversal -> 400');
  const mv = await request(`${s.url}/drive/ok.txt`, { method: 'MOVE', basic: ['alice@example.com', 'pw-alice'], headers: { destination: '/drive/%2e%2e/%2e%2e/moved.txt' } });
  t.equal(mv.status, 400, 'MOVE destination traversal -> 400');
  // Other services may write their own files meanwhile: the drive must be unchanged, and no new
  // file anywhere may carry a name this test tried to plant.
  const drive = join('domains', 'example.com', 'users', 'alice', 'drive');
  const after = walk(s.root);
  t.same(after.filter((p) => p.startsWith(drive)).sort(), before.filter((p) => p.startsWith(drive)), 'drive unchanged');
  const planted = /escape|passwd|evil|moved|upload|_private|a\.\.b|x\.txt|UPLOAD/;
  t.same(after.filter((p) => !before.includes(p) && planted.test(p)), [], 'nothing planted anywhere under mail_root');

  t.equal(await raw(port, 'PUT', '/drive/' + Array.from({ length: 64 }, () => 'a').join('/'), 'x'), 201, 'depth 64 is fine');
  t.equal(await raw(port, 'PUT', '/drive/' + 'c'.repeat(255), 'x'), 201, '255-byte component is fine');
  t.equal(await raw(port, 'PUT', '/drive/' + encodeURIComponent('naïve file (1).txt'), 'x'), 201, 'unicode and spaces are fine');
});
