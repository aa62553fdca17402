import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, fstatSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { TempFileReserve } from '../../../src/services/spool.js';
import { tmpDir } from '../../../src/store/layout.js';

const root = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-reserve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('take answers open empty files in tmpDir, each a different one, and refills ahead', async (t) => {
  const r = new TempFileReserve(root(), 4);
  const a = await r.take();
  const b = await r.take();
  t.not(a.path, b.path);
  t.equal(fstatSync(a.fd).size, 0);
  t.ok(a.path.startsWith(tmpDir(join(a.path, '..', '..')))); // under <root>/tmp
  await new Promise((res) => setTimeout(res, 50));
  const dir = join(a.path, '..');
  t.ok(readdirSync(dir).length >= 4, 'files made ahead of need');
  await r.close();
  t.same(readdirSync(dir).sort(), [a.path, b.path].map((p) => p.slice(dir.length + 1)).sort(), 'close removed only the untaken files');
});

t.test('write: the bytes in order, their size and crc32; sync and close answer once', async (t) => {
  const r = new TempFileReserve(root());
  const parts = [Buffer.from('Received: x\r\n'), Buffer.from('Subject: y\r\n\r\nbody\r\n')];
  const f = await r.write(parts);
  await f.sync();
  await Promise.all([f.close(), f.close()]);
  const all = Buffer.concat(parts);
  t.equal(readFileSync(f.path, 'latin1'), all.toString('latin1'));
  t.equal(f.size, all.length);
  t.equal(f.crc, crc32(all));
  await r.close();
});

t.test('a take after close opens a file directly and nothing is made ahead', async (t) => {
  const r = new TempFileReserve(root(), 3);
  await r.close();
  const f = await r.write([Buffer.from('late')]);
  await f.sync();
  await f.close();
  const dir = join(f.path, '..');
  await new Promise((res) => setTimeout(res, 30));
  t.same(readdirSync(dir), [f.path.slice(dir.length + 1)]);
});

t.test('a removed tmpDir is made again; a failure to create reaches the caller', async (t) => {
  const base = root();
  const r = new TempFileReserve(base, 2);
  const f = await r.write([Buffer.from('x')]);
  await f.close();
  await r.close();
  // tmpDir's parent is a regular file: creating fails (ENOTDIR) and take rejects
  const blocked = join(base, 'blocked');
  writeFileSync(blocked, '');
  const bad = new TempFileReserve(blocked, 2);
  await t.rejects(bad.take());
  await bad.close();
});
