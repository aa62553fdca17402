import t from 'tap';
import net from 'node:net';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const MB = 1024 * 1024;

t.test('quota, aborted uploads and multipart folder uploads', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1], { quota_mb: 1 });
  const d = `${s.url}/drive`;
  const driveDir = join(s.root, 'domains/example.com/users/alice/drive');

  const big = await request(`${d}/big.bin`, { method: 'PUT', basic: A, body: Buffer.alloc(2 * MB) });
  t.equal(big.status, 413, 'over quota -> 413');
  t.notOk(existsSync(join(driveDir, 'files/big.bin')), 'no partial file');
  const half = await request(`${d}/half.bin`, { method: 'PUT', basic: A, body: Buffer.alloc(MB / 2) });
  t.equal(half.status, 201);
  const more = await request(`${d}/more.bin`, { method: 'PUT', basic: A, body: Buffer.alloc(MB / 2 + 10) });
  t.equal(more.status, 413, 'mail + drive bytes checked against quota_mb');
  const over = await request(`${d}/half.bin`, { method: 'PUT', basic: A, body: Buffer.alloc(MB - 100) });
  t.equal(over.status, 200, 'overwrite counts only the difference');
  t.notOk(existsSync(join(driveDir, 'files/more.bin')));
  t.same(readdirSync(driveDir).filter((n) => n.endsWith('.tmp')), [], 'no temp files left');
  await request(`${d}/half.bin`, { method: 'DELETE', basic: A });
  t.equal((await s.services.quota.usage('alice@example.com')).drive, 0, 'delete gives the bytes back');

  // chunked upload (no Content-Length) that goes over quota mid-stream
  const chunked = await fetch(`${d}/stream.bin`, {
    method: 'PUT', headers: { authorization: `Basic ${Buffer.from(A.join(':')).toString('base64')}` },
    body: new ReadableStream({ start(c) { for (let i = 0; i < 24; i++) c.enqueue(new Uint8Array(100 * 1024)); c.close(); } }),
    duplex: 'half',
  } as RequestInit).catch(() => ({ status: 413 }));
  t.equal(chunked.status, 413, 'streamed upload over quota -> 413');
  t.notOk(existsSync(join(driveDir, 'files/stream.bin')));

  // a client that goes away mid-upload leaves nothing
  await new Promise<void>((resolve) => {
    const sock = net.connect(s.ports.http!, '127.0.0.1', () => {
      sock.write(`PUT /drive/aborted.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(A.join(':')).toString('base64')}\r\nContent-Length: 500000\r\n\r\n`);
      sock.write(Buffer.alloc(100_000));
      setTimeout(() => { sock.destroy(); resolve(); }, 200);
    });
  });
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(existsSync(join(driveDir, 'files/aborted.bin')), 'aborted upload: no file');
  t.same(readdirSync(driveDir).filter((n) => n.endsWith('.tmp')), [], 'aborted upload: no temp file');

  // multipart with nested (webkitdirectory) filenames
  const form = new FormData();
  form.append('files', new Blob(['one']), 'album/2026/one.txt');
  form.append('files', new Blob(['two']), 'album/two.txt');
  form.append('note', 'a plain field is ignored');
  const up = await fetch(`${d}/uploads/`, { method: 'POST', body: form, headers: { authorization: `Basic ${Buffer.from(A.join(':')).toString('base64')}` } });
  t.equal(up.status, 201);
  const body = await up.json();
  t.same(body.uploaded.map((u: { path: string }) => u.path), ['uploads/album/2026/one.txt', 'uploads/album/two.txt']);
  t.equal((await request(`${d}/uploads/album/2026/one.txt`, { basic: A })).text, 'one');
  const listing = await request(`${d}/uploads`, { basic: A });
  t.match(listing.json, { total_files: 2, total_dirs: 2, total_bytes: 6 });

  const evil = new FormData();
  evil.append('files', new Blob(['x']), '../../../escape.txt');
  const bad = await fetch(`${d}/uploads/`, { method: 'POST', body: evil, headers: { authorization: `Basic ${Buffer.from(A.join(':')).toString('base64')}` } });
  t.equal(bad.status, 400, 'traversal in a multipart filename -> 400');
  t.notOk(existsSync(join(s.root, 'domains/example.com/users/alice/escape.txt')));
  const reserved = new FormData();
  reserved.append('files', new Blob(['x']), 'ok/_index.json');
  t.equal((await fetch(`${d}/uploads/`, { method: 'POST', body: reserved, headers: { authorization: `Basic ${Buffer.from(A.join(':')).toString('base64')}` } })).status, 400, 'reserved name in a nested filename -> 400');
  t.equal((await request(`${d}/uploads/x`, { method: 'POST', basic: A, body: 'nope', headers: { 'content-type': 'text/plain' } })).status, 415);
});
