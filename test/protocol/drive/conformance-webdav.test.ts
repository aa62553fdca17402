/**
 * Drive WebDAV conformance, found by diffing rmail against Apache mod_dav and rclone: an empty
 * PROPFIND from a WebDAV client is allprop (RFC 4918 §9.1), the RFC 9110 §13 conditional headers
 * on every method, shared locks (§6.2), xml:lang on dead properties (§14.26), lockroot hrefs,
 * and the header values RFC 4918 §10 allows.
 */
import t from 'tap';
import http from 'node:http';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const AUTH = `Basic ${Buffer.from(A.join(':')).toString('base64')}`;
const OLD = 'Sun, 06 Nov 1994 08:49:37 GMT';
const LOCK_X = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
const LOCK_S = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';

/** A request through node:http, which (unlike fetch) sends no Accept header (nor User-Agent) unless told: as rclone does. */
function raw(url: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers: { authorization: AUTH, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

t.test('PROPFIND without a body: allprop multistatus for a WebDAV client, JSON for an API client', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/docs/a.txt`, { method: 'PUT', basic: A, body: 'hello' });

  const dav = await raw(`${d}/docs/`, 'PROPFIND', { depth: '1', 'user-agent': 'rclone/v1.60.1-DEV' });
  t.equal(dav.status, 207, 'rclone (Depth, no Accept): 207');
  t.match(dav.headers['content-type'], /xml/);
  t.match(dav.text, '<D:href>/drive/docs/a.txt</D:href>');
  t.match(dav.text, '<D:getcontentlength>5</D:getcontentlength>', 'allprop: live properties listed');
  const file = await raw(`${d}/docs/a.txt`, 'PROPFIND', { depth: '0', 'user-agent': 'rclone/v1.60.1-DEV' });
  t.equal(file.status, 207, 'a file too');
  t.match(file.text, '<D:getetag>');
  const labelled = await raw(`${d}/docs/`, 'PROPFIND', { depth: '0', accept: '*/*', 'content-type': 'application/xml; charset=utf-8' });
  t.equal(labelled.status, 207, 'an empty body labelled XML: 207');

  const api = await request(`${d}/docs/`, { method: 'PROPFIND', basic: A, headers: { depth: '1' } });
  t.equal(api.status, 200, 'fetch (Accept */*) keeps the JSON of CONTRACT.md');
  t.match(api.json, { path: 'docs', type: 'dir', total_files: 1 });
  const bare = await raw(`${d}/docs/a.txt`, 'PROPFIND', {});
  t.equal(bare.status, 200, 'no Depth, no Accept: JSON');
  t.match(JSON.parse(bare.text), { path: 'docs/a.txt', type: 'file', size: 5 });
  const stdlib = await raw(`${d}/docs/`, 'PROPFIND', { depth: '1', 'user-agent': 'Python-urllib/3.11' });
  t.equal(stdlib.status, 200, 'Depth and no Accept from another client (node:http, urllib): JSON');
  t.match(JSON.parse(stdlib.text), { path: 'docs', type: 'dir', total_files: 1 });
  const noAgent = await raw(`${d}/docs/`, 'PROPFIND', { depth: '1' });
  t.equal(noAgent.status, 200, 'Depth, no Accept, no User-Agent: JSON');
});

t.test('conditional requests (RFC 9110 §13): If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  const put = await request(`${d}/c/a.txt`, { method: 'PUT', basic: A, body: 'keep me' });
  const etag = put.headers.get('etag')!;
  await request(`${d}/c/sub/x.txt`, { method: 'PUT', basic: A, body: 'x' });
  const lastModified = (await request(`${d}/c/a.txt`, { basic: A })).headers.get('last-modified')!;
  const PP = '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:k xmlns:Z="urn:z">v</Z:k></D:prop></D:set></D:propertyupdate>';

  const refused: [string, string, Record<string, string>, string?][] = [
    ['DELETE', '/c/a.txt', { 'if-match': '"nope"' }],
    ['DELETE', '/c/a.txt', { 'if-unmodified-since': OLD }],
    ['DELETE', '/c/a.txt', { 'if-none-match': etag }],
    ['DELETE', '/c/sub', { 'if-match': '"nope"' }],
    ['MOVE', '/c/a.txt', { 'if-match': '"nope"', destination: '/drive/c/b.txt' }],
    ['MOVE', '/c/a.txt', { 'if-unmodified-since': OLD, destination: '/drive/c/b.txt' }],
    ['COPY', '/c/a.txt', { 'if-match': '"nope"', destination: '/drive/c/b.txt' }],
    ['PROPPATCH', '/c/a.txt', { 'if-match': '"nope"' }, PP],
    ['PUT', '/c/a.txt', { 'if-unmodified-since': OLD }, 'overwritten'],
    ['GET', '/c/a.txt', { 'if-match': '"nope"' }],
    ['GET', '/c/a.txt', { 'if-unmodified-since': OLD }],
    ['HEAD', '/c/a.txt', { 'if-match': '"nope"' }],
  ];
  for (const [method, path, headers, body] of refused) {
    const r = await request(`${d}${path}`, { method, basic: A, headers, body });
    t.equal(r.status, 412, `${method} ${path} ${JSON.stringify(headers)} -> 412`);
  }
  const after = await request(`${d}/c/a.txt`, { basic: A });
  t.equal(after.text, 'keep me', 'nothing was changed by a refused request');
  t.equal(after.headers.get('etag'), etag);
  t.equal((await request(`${d}/c/b.txt`, { basic: A })).status, 404, 'nothing moved or copied');
  t.equal((await request(`${d}/c/sub/x.txt`, { basic: A })).status, 200, 'directory kept');
  const props = await request(`${d}/c/a.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' },
    body: '<D:propfind xmlns:D="DAV:"><D:prop><Z:k xmlns:Z="urn:z"/></D:prop></D:propfind>' });
  t.match(props.text, /HTTP\/1.1 404/, 'no property set');

  const reads: [Record<string, string>, number][] = [
    [{ 'if-modified-since': lastModified }, 304],
    [{ 'if-modified-since': OLD }, 200],
    [{ 'if-modified-since': 'Sun, 06 Nov 2050 08:49:37 GMT' }, 200],
    [{ 'if-modified-since': 'not a date' }, 200],
    [{ 'if-modified-since': lastModified, 'if-none-match': '"other"' }, 200],
    [{ 'if-none-match': etag }, 304],
    [{ 'if-match': etag }, 200],
    [{ 'if-match': '*' }, 200],
    [{ 'if-unmodified-since': lastModified }, 200],
  ];
  for (const [headers, status] of reads) {
    const r = await request(`${d}/c/a.txt`, { basic: A, headers });
    t.equal(r.status, status, `GET ${JSON.stringify(headers)} -> ${status}`);
    if (status === 304) t.equal(r.headers.get('etag'), etag, '304 carries the ETag');
  }
  const dir = await request(`${d}/c`, { basic: A });
  t.equal((await request(`${d}/c`, { basic: A, headers: { 'if-none-match': dir.headers.get('etag')! } })).status, 304, 'directory listing 304');

  const ok: [string, string, Record<string, string>, number][] = [
    ['PUT', '/c/a.txt', { 'if-unmodified-since': lastModified }, 200],
    ['COPY', '/c/a.txt', { 'if-match': '*', destination: '/drive/c/b.txt' }, 201],
    ['DELETE', '/c/b.txt', { 'if-match': '*' }, 204],
  ];
  for (const [method, path, headers, status] of ok) {
    t.equal((await request(`${d}${path}`, { method, basic: A, headers, body: method === 'PUT' ? 'new' : undefined })).status, status, `${method} ${JSON.stringify(headers)} -> ${status}`);
  }
  const cur = (await request(`${d}/c/a.txt`, { basic: A })).headers.get('etag')!;
  t.equal((await request(`${d}/c/a.txt`, { method: 'DELETE', basic: A, headers: { 'if-match': cur } })).status, 204, 'DELETE with the current ETag');
  t.equal((await request(`${d}/c/a.txt`, { basic: A })).status, 404);
});

t.test('shared locks: the token of any one of them opens the resource (RFC 4918 §6.2)', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'a' });
  const lock = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const r = await request(`${d}${path}`, { method: 'LOCK', basic: A, body, headers });
    t.equal(r.status, 200, `LOCK ${path}`);
    return r.headers.get('lock-token')!.replace(/^<|>$/g, '');
  };
  const s1 = await lock('/l/a.txt', LOCK_S);
  const s2 = await lock('/l/a.txt', LOCK_S);
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'x' })).status, 423, 'no token: 423');
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'one', headers: { if: `(<${s2}>)` } })).status, 200, 'second holder writes');
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'two', headers: { if: `(<${s1}>)` } })).status, 200, 'first holder writes');
  t.equal((await request(`${d}/l/a.txt`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': `<${s1}>` } })).status, 204);
  t.equal((await request(`${d}/l/a.txt`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': `<${s2}>` } })).status, 204);

  // a shared depth-infinity lock on the folder and a shared lock on a member: either token opens the member
  const onDir = await lock('/l/', LOCK_S, { depth: 'infinity' });
  const onFile = await lock('/l/a.txt', LOCK_S);
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'd', headers: { if: `(<${onDir}>)` } })).status, 200, 'folder lock token opens the member');
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'f', headers: { if: `(<${onFile}>)` } })).status, 200, 'member lock token opens the member');
  const tagged = `<${d}/l/a.txt> (<${onFile}>)`;
  t.equal((await request(`${d}/l/new.txt`, { method: 'PUT', basic: A, body: 'n', headers: { if: tagged } })).status, 423, 'a member lock does not open its folder');
  await request(`${d}/l/`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': `<${onDir}>` } });
  await request(`${d}/l/a.txt`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': `<${onFile}>` } });

  // a depth-0 lock on the folder guards its membership, not its members' content (§7.5)
  const zero = await lock('/l/', LOCK_X, { depth: '0' });
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'z' })).status, 200, 'overwrite a member: no token needed');
  t.equal((await request(`${d}/l/z.txt`, { method: 'PUT', basic: A, body: 'z' })).status, 423, 'add a member: 423');
  t.equal((await request(`${d}/l/a.txt`, { method: 'DELETE', basic: A })).status, 423, 'remove a member: 423');
  t.equal((await request(`${d}/l/z.txt`, { method: 'PUT', basic: A, body: 'z', headers: { if: `<${d}/l/> (<${zero}>)` } })).status, 201, 'add with the token');
  await request(`${d}/l/`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': `<${zero}>` } });

  const x = await lock('/l/a.txt', LOCK_X);
  t.equal((await request(`${d}/l/a.txt`, { method: 'LOCK', basic: A, body: LOCK_S })).status, 423, 'shared over exclusive: 423');
  t.equal((await request(`${d}/l/a.txt`, { method: 'PUT', basic: A, body: 'x', headers: { if: `(<${x}>)` } })).status, 200, 'exclusive holder writes');
});

t.test('PROPPATCH stores the xml:lang in scope with the property (RFC 4918 §14.26, §4.3)', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/p.txt`, { method: 'PUT', basic: A, body: 'p' });
  const pp = await request(`${d}/p.txt`, { method: 'PROPPATCH', basic: A, body:
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop xml:lang="de">' +
    '<Z:title xml:lang="en-US">Hello &amp; bye</Z:title><Z:titel>Hallo</Z:titel></D:prop></D:set>' +
    '<D:set><D:prop><Z:plain>none</Z:plain></D:prop></D:set></D:propertyupdate>' });
  t.equal(pp.status, 207);
  t.match(pp.text, 'HTTP/1.1 200 OK');
  const pf = await request(`${d}/p.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' },
    body: '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><Z:title/><Z:titel/><Z:plain/></D:prop></D:propfind>' });
  t.match(pf.text, '<P:title xmlns:P="urn:z" xml:lang="en-US">Hello &amp; bye</P:title>', 'own xml:lang kept');
  t.match(pf.text, '<P:titel xmlns:P="urn:z" xml:lang="de">Hallo</P:titel>', 'inherited xml:lang kept');
  t.match(pf.text, '<P:plain xmlns:P="urn:z">none</P:plain>', 'no xml:lang, none added');
  const all = await request(`${d}/p.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' });
  t.match(all.text, 'xml:lang="en-US"', 'allprop too');
  const names = await request(`${d}/p.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>' });
  t.match(names.text, '<P:title xmlns:P="urn:z"/>', 'propname lists the name only');
  const cp = await request(`${d}/p.txt`, { method: 'COPY', basic: A, headers: { destination: '/drive/q.txt' } });
  t.equal(cp.status, 201);
  const copied = await request(`${d}/q.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><Z:title/></D:prop></D:propfind>' });
  t.match(copied.text, 'xml:lang="en-US">Hello &amp; bye<', 'COPY keeps it');
});

t.test('lockroot is the locked resource URL: no trailing slash for a file', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/r/f.txt`, { method: 'PUT', basic: A, body: 'f' });
  const l = await request(`${d}/r/f.txt`, { method: 'LOCK', basic: A, body: LOCK_X });
  const token = l.headers.get('lock-token')!;
  t.match(l.text, '<D:lockroot><D:href>/drive/r/f.txt</D:href></D:lockroot>');
  const refresh = await request(`${d}/r/f.txt`, { method: 'LOCK', basic: A, headers: { if: `(${token})`, timeout: 'Second-100' } });
  t.equal(refresh.status, 200);
  t.match(refresh.text, '<D:lockroot><D:href>/drive/r/f.txt</D:href></D:lockroot>', 'refresh');
  const pf = await request(`${d}/r/f.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>' });
  t.match(pf.text, '<D:lockroot><D:href>/drive/r/f.txt</D:href></D:lockroot>', 'lockdiscovery');
  await request(`${d}/r/f.txt`, { method: 'UNLOCK', basic: A, headers: { 'lock-token': token } });
  const dl = await request(`${d}/r`, { method: 'LOCK', basic: A, body: LOCK_X });
  const inner = await request(`${d}/r/f.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>' });
  t.match(inner.text, '<D:lockroot><D:href>/drive/r/</D:href></D:lockroot>', 'a folder lock seen from a member: the folder');
  const rdir = await request(`${d}/r/f.txt`, { method: 'LOCK', basic: A, headers: { if: `(${dl.headers.get('lock-token')})` } });
  t.match(rdir.text, '<D:lockroot><D:href>/drive/r/</D:href></D:lockroot>', 'refresh through a member');
});

t.test('header values outside RFC 4918 §10 are 400 and change nothing; an empty prop list still has a propstat', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/h/a.txt`, { method: 'PUT', basic: A, body: 'a' });
  const rows: [string, string, Record<string, string>, string?][] = [
    ['PROPFIND', '/h/', { depth: '2' }, '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'],
    ['PROPFIND', '/h/', { depth: 'one' }, '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'],
    ['COPY', '/h/a.txt', { destination: '/drive/h/b.txt', overwrite: 'X' }],
    ['MOVE', '/h/a.txt', { destination: '/drive/h/b.txt', overwrite: 'yes' }],
    ['MOVE', '/h', { destination: '/drive/h2', depth: '0' }],
    ['MOVE', '/h', { destination: '/drive/h2', depth: '1' }],
  ];
  for (const [method, path, headers, body] of rows) {
    t.equal((await request(`${d}${path}`, { method, basic: A, headers, body })).status, 400, `${method} ${JSON.stringify(headers)} -> 400`);
  }
  t.equal((await request(`${d}/h/b.txt`, { basic: A })).status, 404, 'nothing copied');
  t.equal((await request(`${d}/h2`, { basic: A })).status, 404, 'nothing moved');
  t.equal((await request(`${d}/h`, { method: 'MOVE', basic: A, headers: { destination: '/drive/h2', depth: 'infinity' } })).status, 201, 'Depth: infinity moves');
  const empty = await request(`${d}/h2/`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>' });
  t.equal(empty.status, 207);
  t.match(empty.text, '<D:response><D:href>/drive/h2/</D:href><D:propstat><D:prop></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>');
});

t.test('Range on an empty file is ignored (200); If-Range takes the ETag or the exact Last-Modified', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/e.bin`, { method: 'PUT', basic: A, body: '' });
  for (const range of ['bytes=0-', 'bytes=-5', 'bytes=0-0']) {
    const r = await request(`${d}/e.bin`, { basic: A, headers: { range } });
    t.equal(r.status, 200, `empty file, ${range} -> 200`);
    t.equal(r.text, '');
  }
  const put = await request(`${d}/r.txt`, { method: 'PUT', basic: A, body: '0123456789' });
  const etag = put.headers.get('etag')!;
  const lm = (await request(`${d}/r.txt`, { basic: A })).headers.get('last-modified')!;
  const rows: [string, number, string][] = [
    [etag, 206, '23'],
    [lm, 206, '23'],
    ['"other"', 200, '0123456789'],
    [OLD, 200, '0123456789'],
  ];
  for (const [ifRange, status, body] of rows) {
    const r = await request(`${d}/r.txt`, { basic: A, headers: { range: 'bytes=2-3', 'if-range': ifRange } });
    t.equal(r.status, status, `If-Range ${ifRange} -> ${status}`);
    t.equal(r.text, body);
  }
  const big = await request(`${d}/r.txt`, { basic: A, headers: { range: 'bytes=10-' } });
  t.equal(big.status, 416, 'a range past the end of a non-empty file is still 416');
  t.equal(big.headers.get('content-range'), 'bytes */10');
});

t.test('DAV:displayname set by PROPPATCH is what PROPFIND returns (RFC 4918 §15.2: not protected)', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/n/f.txt`, { method: 'PUT', basic: A, body: 'f' });
  const name = '<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>';
  t.match((await request(`${d}/n/f.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: name })).text, '<D:displayname>f.txt</D:displayname>', 'default: the file name');
  const pp = await request(`${d}/n/f.txt`, { method: 'PROPPATCH', basic: A,
    body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Nice &amp; name</D:displayname></D:prop></D:set></D:propertyupdate>' });
  t.match(pp.text, 'HTTP/1.1 200 OK');
  t.match((await request(`${d}/n/f.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: name })).text, '<D:displayname>Nice &amp; name</D:displayname>', 'the value set');
  const all = await request(`${d}/n/`, { method: 'PROPFIND', basic: A, headers: { depth: '1' }, body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' });
  t.equal(all.text.split('<D:displayname>Nice &amp; name</D:displayname>').length, 2, 'allprop: once, with the value set');
  t.notMatch(all.text, '<D:displayname>f.txt</D:displayname>');
  const names = await request(`${d}/n/f.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>' });
  t.equal(names.text.split('<D:displayname/>').length, 2, 'propname: listed once');
  await request(`${d}/n/f.txt`, { method: 'PROPPATCH', basic: A,
    body: '<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><D:displayname/></D:prop></D:remove></D:propertyupdate>' });
  t.match((await request(`${d}/n/f.txt`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: name })).text, '<D:displayname>f.txt</D:displayname>', 'removed: the file name again');
});

t.test('LOCK of an unmapped URL adds a member: a locked folder needs its token (RFC 4918 §7.3, §7.5)', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  await request(`${d}/u/`, { method: 'MKCOL', basic: A });
  const folder = await request(`${d}/u/`, { method: 'LOCK', basic: A, headers: { depth: '0' }, body: LOCK_X });
  const token = folder.headers.get('lock-token')!;
  t.equal((await request(`${d}/u/new.txt`, { method: 'LOCK', basic: A, body: LOCK_X })).status, 423, 'no folder token: 423');
  t.equal((await request(`${d}/u/new.txt`, { basic: A })).status, 404, 'and no empty file left behind');
  const ok = await request(`${d}/u/new.txt`, { method: 'LOCK', basic: A, body: LOCK_X, headers: { if: `<${d}/u/> (${token})` } });
  t.equal(ok.status, 201, 'with the folder token: 201');
  t.equal((await request(`${d}/u/new.txt`, { basic: A })).status, 200, 'the empty file exists');
});

t.test('RFC 4331 quota properties on collections, by name only, never through a share', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1], { quota_mb: 2 });
  const d = `${s.url}/drive`;
  await request(`${d}/q/a.bin`, { method: 'PUT', basic: A, body: Buffer.alloc(1000, 1) });
  const Q = '<D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>';
  const root = await request(`${d}/`, { method: 'PROPFIND', basic: A, headers: { depth: '1' }, body: Q });
  t.equal(root.status, 207);
  t.match(root.text, '<D:href>/drive/</D:href><D:propstat><D:prop><D:quota-used-bytes>1000</D:quota-used-bytes>' +
    `<D:quota-available-bytes>${2 * 1024 * 1024 - 1000}</D:quota-available-bytes></D:prop><D:status>HTTP/1.1 200 OK</D:status>`, 'used + available = quota');
  t.match(root.text, '<D:href>/drive/q/</D:href><D:propstat><D:prop><D:quota-used-bytes>1000</D:quota-used-bytes>', 'on every collection');
  const file = await request(`${d}/q/a.bin`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: Q });
  t.match(file.text, /<D:quota-used-bytes\/><D:quota-available-bytes\/><\/D:prop><D:status>HTTP\/1.1 404/, 'not on a file');
  const all = await request(`${d}/`, { method: 'PROPFIND', basic: A, headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' });
  t.notMatch(all.text, 'quota-', 'not in allprop');
  const sh = (await request(`${d}/_share`, { method: 'POST', basic: A, body: { target_path: 'q' } })).json;
  const pub = await request(`${d}/${sh.uid}/q/`, { method: 'PROPFIND', headers: { depth: '0' }, body: Q });
  t.equal(pub.status, 207);
  t.match(pub.text, /HTTP\/1.1 404/, 'a share link shows no quota');
  t.notMatch(pub.text, '1000');
});
