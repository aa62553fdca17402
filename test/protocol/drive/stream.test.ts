/**
 * Drive streaming (issue 7): a multi-megabyte file comes back byte-exact through the one reused
 * download buffer, to a slow reader and in ranges that cross chunk boundaries; a download reads
 * only as the socket takes it (a stalled client holds one descriptor and other requests go on),
 * and its descriptor is closed when it ends, is abandoned or is cut short; a multipart upload
 * whose body ends before its closing boundary gets a clean 400 and leaves nothing behind; a large
 * upload is read only as fast as it is written (the server holds a bounded part of its body).
 */
import t from 'tap';
import net from 'node:net';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const AUTH = `Basic ${Buffer.from(A.join(':')).toString('base64')}`;
const MB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** GET with a reader that stalls after every chunk (so the server meets backpressure). */
function slowGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { authorization: AUTH, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        parts.push(c);
        if (parts.length % 8 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 5);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Send raw bytes and read until the server answers or closes: the status line, or 'closed'. */
function raw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const sock = net.connect(port, '127.0.0.1', () => sock.write(bytes));
    sock.on('data', (c) => {
      out += c.toString('latin1');
      if (/\r\n\r\n/.test(out)) {
        sock.destroy();
        resolve(out.split('\r\n')[0]!);
      }
    });
    sock.on('close', () => resolve(out ? out.split('\r\n')[0]! : 'closed'));
    sock.on('error', () => resolve('closed'));
    sock.setTimeout(10_000, () => {
      sock.destroy();
      resolve('timeout');
    });
  });
}

t.test('large downloads are byte-exact, whole and in ranges', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  const data = randomBytes(9 * MB + 12345);
  t.equal((await request(`${d}/big/r.bin`, { method: 'PUT', basic: A, body: data })).status, 201);
  const whole = await slowGet(`${d}/big/r.bin`, {});
  t.equal(whole.status, 200);
  t.equal(whole.body.length, data.length, 'whole length');
  t.equal(sha(whole.body), sha(data), 'whole file byte-exact to a slow reader');
  for (const [a, b] of [[MB - 6, 3 * MB + 5], [0, 0], [8 * MB, data.length - 1], [5, 5 * MB]] as const) {
    const r = await slowGet(`${d}/big/r.bin`, { range: `bytes=${a}-${b}` });
    t.equal(r.status, 206, `range ${a}-${b}`);
    t.equal(sha(r.body), sha(data.subarray(a, b + 1)), `range ${a}-${b} byte-exact`);
  }
  // Several downloads at once share nothing.
  const many = await Promise.all(Array.from({ length: 4 }, () => slowGet(`${d}/big/r.bin`, {})));
  t.ok(many.every((r) => sha(r.body) === sha(data)), 'four concurrent downloads byte-exact');
});

t.test('a multipart body cut before its closing boundary: 400, nothing stored', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const driveDir = join(s.root, 'domains/example.com/users/alice/drive');
  const part = (name: string, body: string) => `--B\r\nContent-Disposition: form-data; name="f"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`;
  const bodies = {
    'no closing boundary': part('one.txt', 'first') + part('two.txt', 'second'),
    'cut inside a part': part('one.txt', 'first') + '--B\r\nContent-Disposition: form-data; name="f"; filename="two.txt"\r\n\r\nsec',
    'cut inside the headers': part('one.txt', 'first') + '--B\r\nContent-Disposition: form-da',
    // The wire fuzzer's finding: a part without disposition, a field, then a file part cut mid-data (used to hang, then drop).
    'fuzz: field then a cut file part': '--B\r\n\r\njmdLMR_h)\r\n--B\r\nContent-Disposition: form-data; name="x"\r\n\r\np1oNJ<;\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="one.txt"\r\nContent-Type: application/octet-stream\r\n\r\nl=P?1ystF6',
  };
  for (const [what, body] of Object.entries(bodies)) {
    const head = `POST /drive/up/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const status = await raw(s.ports.http!, Buffer.from(head + body));
    t.match(status, /^HTTP\/1\.1 400/, `${what}: 400, not a dropped connection`);
    t.notOk(existsSync(join(driveDir, 'files/up/one.txt')), `${what}: the complete first part is not kept either`);
    t.notOk(existsSync(join(driveDir, 'files/up/two.txt')), `${what}: no partial file`);
    t.same(existsSync(driveDir) ? readdirSync(driveDir).filter((n) => n.endsWith('.tmp')) : [], [], `${what}: no temp file`);
  }
  const listing = await request(`${s.url}/drive/`, { basic: A });
  t.equal(listing.json.total_files, 0, 'the drive is still empty');
  t.equal(listing.json.children.length, 0, 'not even the target directory was made');
  // The same body, properly terminated, stores both files.
  const ok = part('one.txt', 'first') + part('two.txt', 'second') + '--B--\r\n';
  const good = await fetch(`${s.url}/drive/up/`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'multipart/form-data; boundary=B' }, body: ok });
  t.equal(good.status, 201);
  t.equal((await request(`${s.url}/drive/up/two.txt`, { basic: A })).text, 'second');
});

/** The descriptors this process holds open on `path` (the test server runs in-process). */
function openFdsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

/** Poll `cond` (every 20 ms, at most 10 s): whether it became true. */
async function eventually(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/**
 * A raw GET whose reader stops after the headers and `take` body bytes: the socket is paused
 * until `resume()`; `result` settles with the body bytes seen when the server ends or cuts it.
 */
function stalledGet(port: number, path: string, take: number): { started: Promise<number>; resume(): void; destroy(): void; result: Promise<{ length: number; got: number }> } {
  const sock = net.connect(port, '127.0.0.1');
  let head = '';
  let length = -1;
  let got = 0;
  let started!: (len: number) => void;
  const startedP = new Promise<number>((r) => (started = r));
  const result = new Promise<{ length: number; got: number }>((resolve) => {
    sock.on('data', (c: Buffer) => {
      if (length < 0) {
        head += c.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        length = Number(/content-length: *(\d+)/i.exec(head.slice(0, end))?.[1] ?? 0);
        got = head.length - end - 4;
      } else got += c.length;
      if (got >= take && !startedFired) {
        startedFired = true;
        sock.pause();
        started(length);
      }
      if (got >= length) {
        sock.destroy();
        resolve({ length, got });
      }
    });
    sock.on('close', () => resolve({ length, got }));
    sock.on('error', () => undefined);
  });
  let startedFired = false;
  sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n\r\n`);
  return { started: startedP, resume: () => sock.resume(), destroy: () => sock.destroy(), result };
}

t.test('downloads read the file in step with the socket: stalled, abandoned, cut short', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  const data = randomBytes(48 * MB);
  t.equal((await request(`${d}/big/s.bin`, { method: 'PUT', basic: A, body: data })).status, 201);
  const onDisk = join(s.root, 'domains/example.com/users/alice/drive/files/big/s.bin');
  t.equal(openFdsOn(onDisk), 0, 'nothing holds the file before a download');

  // A client that stops reading: its download waits, the file stays open, other requests go on.
  const stalled = stalledGet(s.ports.http!, '/drive/big/s.bin', 1);
  t.equal(await stalled.started, data.length, 'Content-Length is the file size');
  t.equal(openFdsOn(onDisk), 1, 'the stalled download holds one descriptor');
  const other = await request(`${d}/big/`, { basic: A });
  t.equal(other.status, 200, 'another request is served while a download is stalled');
  const head = await request(`${d}/big/s.bin`, { method: 'HEAD', basic: A });
  t.equal(head.headers.get('content-length'), String(data.length), 'HEAD: the length, no body');
  t.equal(head.text, '', 'HEAD: no body');
  t.equal(openFdsOn(onDisk), 1, 'HEAD opens nothing');
  stalled.resume();
  const done = await stalled.result;
  t.equal(done.got, data.length, 'the stalled download completes when read again');
  t.ok(await eventually(() => openFdsOn(onDisk) === 0), 'a finished download closes its descriptor');

  // A download that is being read as fast as it comes still lets other requests through.
  const flowing = stalledGet(s.ports.http!, '/drive/big/s.bin', 1);
  await flowing.started;
  flowing.resume();
  let flowingDone = false;
  void flowing.result.then(() => (flowingDone = true));
  const meanwhile = await request(`${s.url}/health`, {});
  t.equal(meanwhile.status, 200);
  t.notOk(flowingDone, 'a request made during a running download is answered before the download ends');
  t.equal((await flowing.result).got, data.length, 'and the download completes');

  // A client that goes away mid-download: the descriptor is closed.
  const abandoned = stalledGet(s.ports.http!, '/drive/big/s.bin', 1);
  await abandoned.started;
  t.equal(openFdsOn(onDisk), 1);
  abandoned.destroy();
  t.ok(await eventually(() => openFdsOn(onDisk) === 0), 'an abandoned download closes its descriptor');

  // The file shrinks under a download (another process, a disk error): the link is cut rather
  // than left waiting for bytes that will never come.
  const cut = stalledGet(s.ports.http!, '/drive/big/s.bin', 1);
  await cut.started;
  truncateSync(onDisk, 2 * MB);
  cut.resume();
  const short = await cut.result;
  t.equal(short.length, data.length, 'the announced length');
  t.ok(short.got < data.length, 'fewer bytes than announced, then the link closes (no hang)');
  t.ok(await eventually(() => openFdsOn(onDisk) === 0), 'a cut download closes its descriptor');
  const still = await request(`${s.url}/health`, {});
  t.equal(still.status, 200, 'the server goes on');
});

/** PUT `size` zero bytes over a raw socket as fast as the server takes them, sampling `probe` meanwhile; the status line and the largest sample. */
function pumpUpload(port: number, path: string, size: number, probe: () => number): Promise<{ status: string; peak: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(MB);
    let left = size;
    let peak = 0;
    let out = '';
    const timer = setInterval(() => (peak = Math.max(peak, probe())), 2);
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(`PUT ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: ${size}\r\n\r\n`);
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!sock.write(chunk)) return void sock.once('drain', pump);
        }
      };
      pump();
    });
    sock.on('data', (c) => {
      out += c.toString('latin1');
      if (out.includes('\r\n\r\n')) {
        clearInterval(timer);
        sock.destroy();
        resolve({ status: out.split('\r\n')[0]!, peak: Math.max(peak, probe()) });
      }
    });
    sock.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
  });
}

t.test('a large upload is taken in step with the disk: what the server holds of its body stays bounded', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  t.equal((await request(`${d}/up/`, { method: 'MKCOL', basic: A })).status, 201);
  // The server runs in this process: its body chunks are this process's ArrayBuffers. The client
  // reuses one 1 MB buffer, so growth above the baseline is what the server holds.
  const size = 160 * MB;
  for (const round of [1, 2]) {
    const base = process.memoryUsage().arrayBuffers;
    const r = await pumpUpload(s.ports.http!, `/drive/up/big${round}.bin`, size, () => process.memoryUsage().arrayBuffers - base);
    t.match(r.status, /^HTTP\/1\.1 201/, `upload ${round} stored`);
    t.ok(r.peak < 12 * MB, `upload ${round}: body held at most ${Math.round(r.peak / MB)} MB at a time (bound 12 MB; 29-30 MB when a resume and a pause in one turn let uWS deliver regardless)`);
  }
  const info = await request(`${d}/up/big2.bin`, { method: 'HEAD', basic: A });
  t.equal(info.headers.get('content-length'), String(size), 'the whole body was stored');
});
