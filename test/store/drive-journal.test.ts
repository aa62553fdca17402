/**
 * The drive journal's zeroed space (store/drive/journal-file.ts): extended ahead of the lines
 * (`growAhead`, off the request path) while lines go on; a file cut anywhere in its zero tail,
 * or holding a torn line followed by zeros, replays exactly the whole lines before the cut, and
 * goes on taking lines after it; replaying twice changes nothing.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, statSync, truncateSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DriveJournal, type JournalEntry } from '../../src/store/drive/journal-file.js';
import { DriveStore } from '../../src/store/drive/store.js';

const MB = 1024 * 1024;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-drive-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A redo line whose only content is a marker `n` (in `_meta.json`'s ctag) and `pad` bytes of data. */
function line(j: DriveJournal, n: number, pad = 0): Promise<void> {
  const data = pad ? new Map([[`f${n}`, Buffer.alloc(pad, 'x')]]) : undefined;
  return j.redo({ dirs: {}, meta: { ctag: n, sync_token: n, total_files: 0, total_dirs: 0, total_bytes: 0 } }, data);
}

const markers = (entries: JournalEntry[]): number[] => entries.map((e) => (e.op === 'redo' ? e.meta.ctag : -1));

/** The byte offset just after the last whole line (the first NUL after the header's lines). */
const logicalEnd = (path: string): number => readFileSync(path, 'latin1').indexOf('\0');

t.test('the zeroed space is extended ahead while lines go on', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, '_journal.log');
  const j = new DriveJournal(path);
  await line(j, 1);
  t.equal(statSync(path).size, MB, 'the first line finds 1 MB of zeros written');
  t.notOk(j.wantsGrow, 'no growth wanted while most of it is ahead');
  let n = 1;
  while (!j.wantsGrow) await line(j, ++n, 48 * 1024);
  t.ok(j.bytes > MB / 2, 'growth is wanted once less than half a MB is left ahead');
  const grow = j.growAhead();
  t.equal(j.growAhead(), grow, 'one extension at a time');
  t.notOk(j.wantsGrow, 'not wanted again while it runs');
  // Lines written (one after another, as under the drive's lock) while it runs land before the
  // space it adds, or wait for it.
  for (let i = 0; i < 12; i++) await line(j, ++n, 48 * 1024);
  await grow;
  t.ok(statSync(path).size >= 2 * MB, 'the file was extended');
  t.same(markers(await j.entries()), Array.from({ length: n }, (_, i) => i + 1), 'every line, in order');
  await j.close();
  const again = new DriveJournal(path);
  t.same(markers(await again.entries()), Array.from({ length: n }, (_, i) => i + 1), 'and read back by another handle');
  await line(again, n + 1);
  t.same(markers(await again.entries()).slice(-2), [n, n + 1], 'a reopened journal appends after the last line');
  await again.close();
});

t.test('a journal cut anywhere in its zero tail keeps its lines and goes on', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, '_journal.log');
  const j = new DriveJournal(path);
  for (let i = 1; i <= 5; i++) await line(j, i, 3000);
  await j.close();
  const end = logicalEnd(path);
  // The tail cut at the last line's end, a byte after it, in the middle, and at a
  // non-block-aligned size (an extension that was under way when the power went).
  for (const cutAt of [end, end + 1, end + 4095, Math.floor((end + MB) / 2) + 3, MB - 1]) {
    const copy = join(dir, `cut-${cutAt}.log`);
    const data = readFileSync(path);
    const fd = openSync(copy, 'w');
    writeSync(fd, data, 0, data.length, 0);
    closeSync(fd);
    truncateSync(copy, cutAt);
    const r = new DriveJournal(copy);
    t.same(markers(await r.entries()), [1, 2, 3, 4, 5], `cut at ${cutAt}: the five lines`);
    t.same(markers(await r.entries()), [1, 2, 3, 4, 5], `cut at ${cutAt}: read twice, the same`);
    // Lines go on past the cut: the file grows again from wherever it was cut.
    for (let i = 6; i <= 9; i++) await line(r, i, 300 * 1024);
    await r.close();
    const back = new DriveJournal(copy);
    t.same(markers(await back.entries()), [1, 2, 3, 4, 5, 6, 7, 8, 9], `cut at ${cutAt}: later lines follow`);
    await back.close();
  }
});

t.test('a torn line followed by zeros (and older lines further on) ends the journal', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, '_journal.log');
  const j = new DriveJournal(path);
  for (let i = 1; i <= 3; i++) await line(j, i, 100);
  await j.close();
  const end = logicalEnd(path);
  const whole = readFileSync(path, 'latin1');
  const second = whole.slice(whole.indexOf('\n') + 1).split('\n')[1]!; // a whole line of this generation
  const fd = openSync(path, 'r+');
  const torn = Buffer.from(second.slice(0, 40), 'latin1');
  writeSync(fd, torn, 0, torn.length, end);
  const stale = Buffer.from(second + '\n', 'latin1');
  writeSync(fd, stale, 0, stale.length, end + 8192); // a whole line after the zeros: never reached
  closeSync(fd);
  for (const round of ['first', 'second']) {
    const r = new DriveJournal(path);
    t.same(markers(await r.entries()), [1, 2, 3], `${round} read: the lines before the torn one`);
    await r.close();
  }
  const r = new DriveJournal(path);
  await line(r, 4);
  await r.close();
  t.same(markers(await new DriveJournal(path).entries()), [1, 2, 3, 4], 'the next line replaces the torn one');
});

const etag = (data: string): string => `"${createHash('sha256').update(data).digest('hex').slice(0, 32)}"`;

t.test('a drive killed while its journal was being extended replays every acknowledged upload, twice', async (t) => {
  const root = tempDir(t);
  const store = new DriveStore(root, 'example.com', 'alice');
  await store.init();
  const body = (i: number) => `${i}:`.padEnd(40 * 1024, String.fromCharCode(97 + (i % 26)));
  const put = (s: DriveStore, i: number) => s.locked(() => s.commitFile(['big', `f${i}.txt`], undefined, { size: body(i).length, etag: etag(body(i)), content_type: 'text/plain' }, true, undefined, undefined, Buffer.from(body(i))));
  // 40 KB uploads: about 55 KB of journal each, so the zeroed space runs low after a dozen.
  for (let i = 0; i < 30; i++) await put(store, i);
  const journal = join(store.drive, '_journal.log');
  t.ok(statSync(journal).size >= 2 * MB, 'the journal was extended ahead of its lines');
  await store.abandon();
  t.ok(statSync(journal).size - logicalEnd(journal) >= MB / 2, 'extended off the request path before the space ahead ran out');
  // The power went while the extension was under way: the file ends in the middle of its zeros.
  const end = logicalEnd(journal);
  truncateSync(journal, end + 777);
  for (const round of ['first', 'second']) {
    const again = new DriveStore(root, 'example.com', 'alice');
    await again.init();
    for (let i = 0; i < 30; i++) t.equal(readFileSync(join(again.files, 'big', `f${i}.txt`), 'utf8'), body(i), `${round} replay: f${i}`);
    const idx = await again.readIndex(['big']);
    t.equal(idx?.self_files, 30, `${round} replay: 30 files in the index`);
    await again.abandon();
  }
  const last = new DriveStore(root, 'example.com', 'alice');
  for (let i = 30; i < 45; i++) await put(last, i);
  await last.close();
  const reread = new DriveStore(root, 'example.com', 'alice');
  t.equal((await reread.readIndex(['big']))?.self_files, 45, 'uploads after the replay go on');
  await reread.close();
});

t.test('journal writes on the event loop are paced process-wide (sync-pace.ts)', async (t) => {
  const { syncAllowed, noteSync } = await import('../../src/store/sync-pace.js');
  const t0 = 1e9; // a fabricated clock, far from this process's own writes
  t.ok(syncAllowed(t0), 'allowed at first');
  noteSync(t0, t0 + 1.5);
  t.ok(syncAllowed(t0 + 2), 'a write under 2 ms changes nothing but the budget');
  for (let i = 0; i < 40; i++) noteSync(t0 + 2, t0 + 3.9);
  t.notOk(syncAllowed(t0 + 50), 'half of a 100 ms window spent: the rest goes to the pool');
  t.ok(syncAllowed(t0 + 101), 'the next window starts afresh');
  noteSync(t0 + 101, t0 + 104, true);
  t.ok(syncAllowed(t0 + 105), 'a write expected to be slow (it grew the file) does not back off');
  noteSync(t0 + 105, t0 + 108);
  t.notOk(syncAllowed(t0 + 120), 'a write over 2 ms sends writes to the pool');
  t.notOk(syncAllowed(t0 + 350), '... for 250 ms');
  t.ok(syncAllowed(t0 + 360), 'then the loop writes again');
  // And the drive journal works either way: its lines are whole and in order.
  const dir = tempDir(t);
  const j = new DriveJournal(join(dir, '_journal.log'));
  for (let i = 1; i <= 3; i++) await line(j, i, 100);
  noteSync(performance.now() - 5, performance.now()); // the real clock now: the pool for 250 ms
  for (let i = 4; i <= 6; i++) await line(j, i, 100);
  t.same(markers(await j.entries()), [1, 2, 3, 4, 5, 6], 'lines written on the loop and on the pool, in order');
  await j.close();
});
