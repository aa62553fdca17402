import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendLog, fsyncFiles, writeJsonDurable, readJson, withFileLock, writeFileDurable } from '../../src/store/atomic.js';

t.test('durable JSON round trip leaves no temp files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-atomic-'));
  const p = join(dir, 'sub', 'x.json');
  await writeJsonDurable(p, { a: 1 });
  await writeJsonDurable(p, { a: 2 });
  t.same(await readJson(p), { a: 2 });
  t.equal(await readJson(join(dir, 'none.json')), undefined);
  t.same(readdirSync(join(dir, 'sub')), ['x.json']);
  await writeFileDurable(join(dir, 'b.bin'), Buffer.from([0, 1, 2]));
  t.same([...readFileSync(join(dir, 'b.bin'))], [0, 1, 2]);
});

t.test('AppendLog batches concurrent appends and keeps them all', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-log-'));
  const log = new AppendLog(join(dir, 'j.log'));
  await log.open();
  await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(`line ${i}\n`)));
  await log.close();
  const lines = readFileSync(join(dir, 'j.log'), 'utf8').trim().split('\n');
  t.equal(lines.length, 500);
  t.equal(new Set(lines).size, 500);
});

t.test('withFileLock serialises holders', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-lock-'));
  const lockPath = join(dir, '.lock');
  let inside = 0;
  let max = 0;
  await Promise.all(Array.from({ length: 5 }, () => withFileLock(lockPath, async () => {
    inside++;
    max = Math.max(max, inside);
    await new Promise((r) => setTimeout(r, 5));
    inside--;
  })));
  t.equal(max, 1);
});

t.test('fsyncFiles syncs the files there, skips the ones gone, rejects any other error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-fsyncfiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = Array.from({ length: 5 }, (_, i) => join(dir, `f${i}`));
  for (const p of paths) writeFileSync(p, 'x');
  await fsyncFiles([...paths, join(dir, 'gone')], 2);
  t.pass('existing files synced, a missing one skipped');
  await fsyncFiles([], 4);
  await t.rejects(fsyncFiles([join(paths[0]!, 'under-a-file')], 2), { code: 'ENOTDIR' });
});
