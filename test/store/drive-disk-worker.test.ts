/**
 * The drive checkpoint's disk worker (store/drive/disk-worker.ts): held files are written, then
 * fdatasync'd in batches through the descriptors that wrote them. More files than one batch all
 * land with their bytes; a name already taken is reported, not overwritten; a write that fails
 * rejects the request and leaves no descriptor open.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putSynced, syncPaths, type PutOp } from '../../src/store/drive/disk-worker.js';

/** Descriptors this process holds open under `dir` (the worker is a thread of this process). */
function openUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

t.test('more held files than one batch: every one written, each result in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-disk-worker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f7'), 'already here');
  const ops: PutOp[] = Array.from({ length: 600 }, (_, i) => ({ path: join(dir, `f${i}`), data: Buffer.from(`content ${i}`) }));
  ops.push({ path: join(dir, 'final'), data: Buffer.from('via temp'), tmp: join(dir, '.final.tmp') });
  const out = await putSynced(ops);
  t.equal(out.length, ops.length, 'one result per op');
  t.equal(out[7], 'exists', 'a taken name is reported');
  t.equal(readFileSync(join(dir, 'f7'), 'utf8'), 'already here', 'and left as it was');
  t.equal(out[600], 'temp', 'a temp op writes its temp');
  t.equal(readFileSync(join(dir, '.final.tmp'), 'utf8'), 'via temp');
  t.notOk(existsSync(join(dir, 'final')), 'the caller renames a temp, not the worker');
  const wrong = ops.slice(0, 600).filter((op, i) => i !== 7 && (out[i] !== 'created' || readFileSync(op.path, 'utf8') !== `content ${i}`));
  t.same(wrong, [], 'the other 599 created with their bytes');
  await syncPaths([join(dir, 'f1'), join(dir, 'gone'), dir]);
  t.equal(openUnder(dir), 0, 'no descriptor left open');
});

t.test('a write that fails rejects the request and closes what it opened', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-disk-worker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ops: PutOp[] = [
    ...Array.from({ length: 300 }, (_, i) => ({ path: join(dir, `g${i}`), data: Buffer.from('x') })),
    { path: join(dir, 'no-such-dir', 'h'), data: Buffer.from('y') },
    { path: join(dir, 'after'), data: Buffer.from('z') },
  ];
  await t.rejects(putSynced(ops), /drive checkpoint: ENOENT/, 'the request rejects');
  t.notOk(existsSync(join(dir, 'after')), 'nothing after the failure is written');
  t.equal(openUnder(dir), 0, 'every descriptor it opened is closed');
  t.same(await putSynced([{ path: join(dir, 'next'), data: Buffer.from('ok') }]), ['created'], 'the worker goes on');
});

t.test('the worker thread runs at a lower priority than the request path (Linux)', { skip: process.platform !== 'linux' && 'per-thread nice is Linux only' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-disk-worker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await putSynced([{ path: join(dir, 'a'), data: Buffer.from('a') }]);
  const nice = readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]);
  });
  t.equal(nice.filter((n) => n === 10).length, 1, 'one thread (the worker) at nice 10');
  t.equal(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[16], '0', 'the main thread keeps nice 0');
});
