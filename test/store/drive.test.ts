/**
 * Crash consistency of the drive's `_index.json` files (issue 7): each test performs the file
 * step of a change (PUT, MOVE, DELETE, MKCOL, an index write) on disk after a durable journal
 * intent, skips the index step as a `kill -9` would, "restarts" with a fresh DriveStore, and
 * checks that every directory's index equals a fresh walk of the files.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, renameSync, rmSync, mkdirSync, unlinkSync, existsSync, openSync, writeSync, closeSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DriveStore } from '../../src/store/drive/store.js';
import { walkTotals } from '../../src/store/drive/reconcile.js';
import type { DirIndex } from '../../src/store/drive/types.js';
import { DriveJournal } from '../../src/store/drive/journal-file.js';
import { JournalPair } from '../../src/store/drive/journal-pair.js';
import { verifyMailRoot } from '../../src/main/verify.js';

const etag = (data: string): string => `"${createHash('sha256').update(data).digest('hex').slice(0, 32)}"`;

/** A drive with a few files and directories, written through the store. */
async function seeded(t: Test): Promise<{ root: string; store: DriveStore }> {
  const root = mkdtempSync(join(tmpdir(), 'rmail-drive-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const store = new DriveStore(root, 'example.com', 'alice');
  for (const [path, body] of [['docs/a.txt', 'alpha'], ['docs/sub/b.txt', 'bravo!'], ['c.bin', 'charlie'], ['photos/2026/d.jpg', 'delta delta']] as const) {
    await put(store, path, body);
  }
  await store.locked(() => store.checkpoint());
  return { root, store };
}

/** Store `body` at `path` as an upload does; `logged`: small-upload mode (content in the journal, file synced at the checkpoint). */
async function put(store: DriveStore, path: string, body: string, logged = false): Promise<void> {
  await store.init();
  const tmp = store.tempFile();
  writeFileSync(tmp, body);
  await store.locked(() => store.commitFile(path.split('/'), tmp, { size: body.length, etag: etag(body), content_type: 'text/plain' }, true, undefined, undefined, logged ? Buffer.from(body) : undefined));
}

/**
 * Every index against the directory it describes; `_meta.json` against the root walk. The store
 * is checkpointed first (a live store keeps its latest index changes in memory), and what it
 * holds in memory must equal what the checkpoint wrote.
 */
async function consistent(t: Test, store: DriveStore, what: string): Promise<void> {
  await store.locked(() => store.checkpoint());
  const check = async (dir: string, rel: string) => {
    const idx = JSON.parse(readFileSync(join(dir, '_index.json'), 'utf8')) as DirIndex;
    const key = rel ? rel.slice(0, -1).split('/') : [];
    t.same(await store.readIndex(key), idx, `${what}: the store's /${rel} is what is on disk`);
    const walked = await walkTotals(dir);
    t.same({ files: idx.total_files, dirs: idx.total_dirs, bytes: idx.total_bytes }, walked, `${what}: totals of /${rel}`);
    const entries = readdirSync(dir).filter((n) => !n.startsWith('_') && !n.endsWith('.tmp'));
    t.same(Object.keys(idx.children).sort(), entries.sort(), `${what}: children of /${rel}`);
    const files = entries.filter((n) => statSync(join(dir, n)).isFile());
    t.equal(idx.self_files, files.length, `${what}: self_files of /${rel}`);
    t.equal(idx.self_bytes, files.reduce((n, f) => n + statSync(join(dir, f)).size, 0), `${what}: self_bytes of /${rel}`);
    for (const f of files) {
      const e = idx.children[f]!;
      t.equal(e.type === 'file' && e.etag, etag(readFileSync(join(dir, f), 'utf8')), `${what}: etag of /${rel}${f}`);
    }
    for (const e of entries) if (!files.includes(e)) await check(join(dir, e), `${rel}${e}/`);
  };
  await check(store.files, '');
  const meta = JSON.parse(readFileSync(store.metaFile, 'utf8'));
  t.same({ files: meta.total_files, dirs: meta.total_dirs, bytes: meta.total_bytes }, await walkTotals(store.files), `${what}: _meta.json totals`);
}

/** The journal's live lines (a checkpoint starts a new generation; older lines stay behind it but no longer count). */
const journalLines = (store: DriveStore) => new JournalPair(store.drive).entries();
/** The text of the journal's live lines. */
const journalText = async (store: DriveStore): Promise<string> => JSON.stringify(await journalLines(store));

/** Kill -9 stand-in: a durable intent for `paths`, then `fileStep` on disk, and no index update. */
async function cut(store: DriveStore, paths: string[], fileStep: () => void): Promise<DriveStore> {
  await store.close();
  const journal = new DriveJournal(join(store.drive, '_journal.log'));
  await journal.begin(paths);
  await journal.close();
  fileStep();
  return new DriveStore(join(store.drive, '../../../../..'), 'example.com', 'alice');
}

t.test('a PUT cut after the rename is rolled forward on the next open', async (t) => {
  const { store } = await seeded(t);
  await consistent(t, store, 'before');
  const after = await cut(store, ['docs/sub/new.txt', 'docs/a.txt'], () => {
    writeFileSync(join(store.files, 'docs/sub/new.txt'), 'a new file');
    writeFileSync(join(store.files, 'docs/a.txt'), 'overwritten, longer than before');
  });
  const listing = await after.readIndex(['docs', 'sub']);
  t.equal(listing?.children['new.txt']?.type, 'file', 'the new file is listed after the restart');
  await consistent(t, after, 'after PUT cut');
  t.same(await journalLines(store), [], 'the journal is emptied once rolled forward');
  await after.close();
});

t.test('a same-size overwrite cut after the rename gets the new ETag', async (t) => {
  const { store } = await seeded(t);
  const after = await cut(store, ['c.bin'], () => writeFileSync(join(store.files, 'c.bin'), 'CHARLIE'));
  const e = (await after.stat(['c.bin']))!;
  t.equal(e.type === 'file' && e.etag, etag('CHARLIE'));
  await consistent(t, after, 'after overwrite cut');
  await after.close();
});

t.test('a PUT into new directories cut before any index was written', async (t) => {
  const { store } = await seeded(t);
  const after = await cut(store, ['x/y/z/f.txt'], () => {
    mkdirSync(join(store.files, 'x/y/z'), { recursive: true });
    writeFileSync(join(store.files, 'x/y/z/f.txt'), 'deep');
  });
  await after.init();
  await consistent(t, after, 'after nested PUT cut');
  t.equal((await after.readIndex(['x', 'y', 'z']))?.total_files, 1);
  await after.close();
});

t.test('a directory MOVE cut between the rename and the index writes', async (t) => {
  const { store } = await seeded(t);
  const after = await cut(store, ['docs', 'archive/docs-2025'], () => {
    mkdirSync(join(store.files, 'archive'));
    renameSync(join(store.files, 'docs'), join(store.files, 'archive/docs-2025'));
  });
  await after.init();
  await consistent(t, after, 'after MOVE cut');
  t.equal((await after.stat(['docs'])), undefined, 'the source is gone');
  t.equal((await after.readIndex(['archive', 'docs-2025']))?.name, 'docs-2025', 'the moved index has its new name');
  t.equal((await after.readIndex(['archive', 'docs-2025']))?.total_files, 2);
  await after.close();
});

t.test('a file MOVE and a DELETE cut after their file step', async (t) => {
  const { store } = await seeded(t);
  const after = await cut(store, ['c.bin', 'docs/c-moved.bin', 'photos'], () => {
    renameSync(join(store.files, 'c.bin'), join(store.files, 'docs/c-moved.bin'));
    renameSync(join(store.files, 'photos'), join(store.drive, '.trash-00112233aabbccdd.tmp'));
  });
  await after.init();
  await consistent(t, after, 'after MOVE + DELETE cut');
  t.notOk(existsSync(join(store.drive, '.trash-00112233aabbccdd.tmp')), 'the trash of the cut DELETE is removed');
  t.equal((await after.readMeta()).total_files, 3);
  await after.close();
});

t.test('a file MOVE over an existing file replaces it in one rename (never leaves the destination absent)', async (t) => {
  const { store } = await seeded(t);
  await store.init();
  await store.locked(() => store.move(['c.bin'], ['docs', 'a.txt']));
  t.equal(readFileSync(join(store.files, 'docs/a.txt'), 'utf8'), 'charlie', 'the destination holds the moved file');
  t.notOk(existsSync(join(store.files, 'c.bin')), 'the source is gone');
  await consistent(t, store, 'after MOVE over a file');
  t.equal((await store.readMeta()).total_files, 3);
  await t.rejects(store.locked(() => store.move(['docs', 'a.txt'], ['photos'])), { name: 'ConflictError' }, 'a file never replaces a directory');
  await store.locked(() => store.copy(['docs', 'sub', 'b.txt'], ['docs', 'a.txt'], false));
  t.equal(readFileSync(join(store.files, 'docs/a.txt'), 'utf8'), 'bravo!', 'a COPY over a file replaces it');
  await consistent(t, store, 'after COPY over a file');
  // The same move cut after its rename: the next open agrees with the files.
  const after = await cut(store, ['docs/a.txt', 'docs/sub/b.txt'], () => {
    renameSync(join(store.files, 'docs/a.txt'), join(store.files, 'docs/sub/b.txt'));
  });
  await after.init();
  await consistent(t, after, 'after MOVE-over-file cut');
  t.equal((await after.readMeta()).total_files, 2);
  await after.close();
});

t.test('a commit cut between its index renames (leaf written, ancestors not)', async (t) => {
  const { store } = await seeded(t);
  const leaf = JSON.parse(readFileSync(join(store.files, 'docs/sub/_index.json'), 'utf8')) as DirIndex;
  const after = await cut(store, ['docs/sub/e.txt'], () => {
    writeFileSync(join(store.files, 'docs/sub/e.txt'), 'echo');
    leaf.children['e.txt'] = { type: 'file', size: 4, etag: etag('echo'), mtime: 1, content_type: 'text/plain' };
    leaf.self_files += 1;
    leaf.self_bytes += 4;
    leaf.total_files += 1;
    leaf.total_bytes += 4;
    writeFileSync(join(store.files, 'docs/sub/_index.json'), JSON.stringify(leaf));
  });
  await after.init();
  await consistent(t, after, 'after a torn commit');
  await after.close();
});

t.test('normal writes keep every index consistent; close checkpoints and empties the journal', async (t) => {
  const { store } = await seeded(t);
  await store.locked(() => store.mkdir(['m', 'n'], true));
  await store.locked(() => store.move(['docs'], ['m', 'docs']));
  await store.locked(() => store.copy(['m', 'docs'], ['copy'], false));
  await store.locked(() => store.remove(['photos']));
  t.same(await journalLines(store), [], 'a delete checkpoints once done: the journal is empty');
  await store.locked(() => store.setProps(['copy'], { '{urn:x}k': 'v' }, []));
  await store.locked(() => store.mkdir(['m', 'o'], false));
  const lines = (await journalLines(store)) as { op: string; dirs: Record<string, unknown> }[];
  t.same(lines.map((l) => [l.op, Object.keys(l.dirs).sort()]), [['redo', ['']], ['redo', ['', 'm', 'm/o']]], 'each later change is one redo line naming the indexes it changed');
  t.notOk(existsSync(join(store.files, 'm/o/_index.json')), 'the new directory\'s index waits for the checkpoint');
  await consistent(t, store, 'after normal writes');
  await store.close();
  t.same(await journalLines(store), [], 'close checkpoints: the journal is empty');
  const again = new DriveStore(join(store.drive, '../../../../..'), 'example.com', 'alice');
  t.equal((await again.stat(['copy']))?.props?.['{urn:x}k'], 'v', 'dead property kept');
  await consistent(t, again, 'after reopen');
  await again.close();
});

t.test('intents left in the journal by a kill -9 after acknowledged writes are rolled forward harmlessly', async (t) => {
  const { store } = await seeded(t);
  for (let i = 0; i < 20; i++) await put(store, `bulk/f${i}.txt`, 'x'.repeat(i));
  t.ok((await journalLines(store)).length > 0, 'the journal still covers the unsynced indexes');
  // No close(): the process "dies" here.
  await store.abandon();
  const again = new DriveStore(join(store.drive, '../../../../..'), 'example.com', 'alice');
  t.equal((await again.readIndex(['bulk']))?.total_files, 20);
  await consistent(t, again, 'after restart without a checkpoint');
  t.same(await journalLines(store), [], 'recovery checkpoints');
  await again.close();
});

t.test('rebuild and `rmail verify --fix` recompute every index from the files', async (t) => {
  const { root, store } = await seeded(t);
  await store.close();
  unlinkSync(join(store.files, 'photos/2026/_index.json'));
  const docs = JSON.parse(readFileSync(join(store.files, 'docs/_index.json'), 'utf8')) as DirIndex;
  docs.total_bytes += 99;
  delete docs.children['a.txt'];
  writeFileSync(join(store.files, 'docs/_index.json'), JSON.stringify(docs));
  writeFileSync(join(store.files, 'orphan.txt'), 'orphan');
  const drive = (r: Awaited<ReturnType<typeof verifyMailRoot>>) => r.issues.filter((i) => i.where.includes('drive'));
  const bad = await verifyMailRoot(root, { fix: true });
  t.ok(drive(bad).length >= 3, `verify found the damage: ${drive(bad).map((i) => i.what).join('; ')}`);
  t.ok(drive(bad).every((i) => i.fixed === true), 'and --fix repaired all of it');
  t.same(drive(await verifyMailRoot(root)), [], 'verify is clean afterwards');
  const fresh = new DriveStore(root, 'example.com', 'alice');
  await consistent(t, fresh, 'after verify --fix');
  t.equal(((await fresh.stat(['docs', 'a.txt'])) as { etag: string }).etag, etag('alpha'), 'a re-listed file gets its content ETag');
  // DriveStore.rebuild (holding the lock) does the same.
  writeFileSync(join(store.files, 'late.txt'), 'late');
  await fresh.rebuild();
  await consistent(t, fresh, 'after rebuild');
  t.equal((await fresh.readMeta()).total_files, 6);
  await fresh.close();
});

t.test('small uploads logged in the journal are restored when their file did not reach the disk', async (t) => {
  const { store } = await seeded(t);
  await put(store, 'moved.txt', 'moved later', true);
  await store.locked(() => store.move(['moved.txt'], ['docs', 'moved.txt']));
  t.equal((await journalText(store)).includes(Buffer.from('moved later').toString('base64')), false, 'a move checkpoints first (the moved file is synced)');
  await put(store, 'gone.txt', 'deleted later', true);
  await store.locked(() => store.remove(['gone.txt']));
  await put(store, 'docs/logged.txt', 'logged content', true);
  await put(store, 'new/dir/deep.txt', 'deep logged', true);
  await put(store, 'c.bin', 'charlie v2', true);
  await put(store, 'props.txt', 'then a PROPPATCH', true);
  await store.locked(() => store.setProps(['props.txt'], { '{urn:x}p': '1' }, []));
  const journal = await journalText(store);
  t.match(journal, Buffer.from('logged content').toString('base64'), 'the content is in the journal line');
  // Power loss stand-in: the unsynced files are gone or hold stale bytes; no checkpoint ran.
  unlinkSync(join(store.files, 'docs/logged.txt'));
  rmSync(join(store.files, 'new'), { recursive: true });
  writeFileSync(join(store.files, 'c.bin'), 'charlie');
  unlinkSync(join(store.files, 'props.txt'));
  const again = new DriveStore(join(store.drive, '../../../../..'), 'example.com', 'alice');
  await again.init();
  t.equal(readFileSync(join(store.files, 'docs/logged.txt'), 'utf8'), 'logged content', 'a lost file is restored');
  t.equal(readFileSync(join(store.files, 'new/dir/deep.txt'), 'utf8'), 'deep logged', 'with its new directories');
  t.equal(readFileSync(join(store.files, 'c.bin'), 'utf8'), 'charlie v2', 'stale bytes are replaced by the logged content');
  t.notOk(existsSync(join(store.files, 'gone.txt')), 'a file deleted after its upload stays deleted');
  t.notOk(existsSync(join(store.files, 'moved.txt')), 'a file moved after its upload is not recreated at its old path');
  t.equal(readFileSync(join(store.files, 'props.txt'), 'utf8'), 'then a PROPPATCH', 'a property change does not cancel the restore');
  t.equal((await again.stat(['props.txt']))?.props?.['{urn:x}p'], '1', 'and the property is kept');
  t.equal(readFileSync(join(store.files, 'docs/moved.txt'), 'utf8'), 'moved later');
  await consistent(t, again, 'after replaying logged uploads');
  t.same(await journalLines(store), [], 'the journal is emptied');
  await again.close();
});

t.test('a checkpoint syncs the logged files and empties the journal', async (t) => {
  const { store } = await seeded(t);
  for (let i = 0; i < 5; i++) await put(store, `l/f${i}.txt`, `logged ${i}`, true);
  t.ok((await journalLines(store)).length > 0);
  await store.close();
  t.same(await journalLines(store), [], 'close checkpoints');
  const again = new DriveStore(join(store.drive, '../../../../..'), 'example.com', 'alice');
  await consistent(t, again, 'after checkpoint and reopen');
  await again.close();
});

/** Store `body` at `path` as a small PUT does: held in memory, its bytes in the journal line. */
async function putHeld(store: DriveStore, path: string, body: string): Promise<void> {
  await store.locked(() => store.commitFile(path.split('/'), undefined, { size: Buffer.byteLength(body), etag: etag(body), content_type: 'text/plain' }, true, undefined, undefined, Buffer.from(body)));
}

/** Every `_index.json` (by directory) and `_meta.json` as they are on disk. */
function onDisk(store: DriveStore): Record<string, unknown> {
  const out: Record<string, unknown> = { _meta: JSON.parse(readFileSync(store.metaFile, 'utf8')) };
  const walk = (dir: string, rel: string) => {
    out[rel || '/'] = JSON.parse(readFileSync(join(dir, '_index.json'), 'utf8'));
    for (const n of readdirSync(dir)) if (!n.startsWith('_') && statSync(join(dir, n)).isDirectory()) walk(join(dir, n), `${rel}/${n}`);
  };
  walk(store.files, '');
  return out;
}

/** Both journal files as they are now; the returned function writes them back. */
function saveJournals(store: DriveStore): () => void {
  const saved = JOURNALS.map((n) => [join(store.drive, n), existsSync(join(store.drive, n)) ? readFileSync(join(store.drive, n)) : undefined] as const);
  return () => {
    for (const [path, data] of saved) {
      if (data) writeFileSync(path, data);
      else rmSync(path, { force: true });
    }
  };
}

const JOURNALS = ['_journal.log', '_journal.2.log'];

const reopen = (store: DriveStore): DriveStore => new DriveStore(join(store.drive, '../../../../..'), 'example.com', 'alice');

t.test('small PUTs are served from memory before the checkpoint and survive a kill -9', async (t) => {
  const { store } = await seeded(t);
  await putHeld(store, 'held/a.txt', 'held a');
  await putHeld(store, 'c.bin', 'charlie again');
  t.notOk(existsSync(join(store.files, 'held/a.txt')), 'the file is not written before the checkpoint');
  t.equal(store.pendingData(['held', 'a.txt'])?.toString(), 'held a', 'it is read from memory meanwhile');
  t.equal((await store.stat(['held', 'a.txt']))?.type, 'file', 'and listed');
  await store.abandon();
  const again = reopen(store);
  await again.init();
  t.equal(readFileSync(join(store.files, 'held/a.txt'), 'utf8'), 'held a', 'replayed from the journal');
  t.equal(readFileSync(join(store.files, 'c.bin'), 'utf8'), 'charlie again');
  await consistent(t, again, 'after a kill -9 with held files');
  await again.close();
});

t.test('a change cut before its journal line was whole leaves no trace', async (t) => {
  const { store } = await seeded(t);
  await putHeld(store, 'kept.txt', 'acknowledged');
  await store.abandon();
  // The next line was being written when the process died: only its start reached the file.
  const path = join(store.drive, '_journal.log');
  const text = readFileSync(path, 'latin1');
  const end = text.indexOf('\0');
  const torn = Buffer.from('{"op":"redo","g":1,"dirs":{"":{"c":{"ctag":99');
  const fd = openSync(path, 'r+');
  writeSync(fd, torn, 0, torn.length, end);
  closeSync(fd);
  const again = reopen(store);
  await again.init();
  t.equal(readFileSync(join(store.files, 'kept.txt'), 'utf8'), 'acknowledged', 'the acknowledged change is kept');
  t.equal((await again.readIndex([]))?.ctag === 99, false, 'the torn line is not applied');
  await consistent(t, again, 'after a torn line');
  await again.close();
});

t.test('lines of an earlier generation left in the journal file are never replayed', async (t) => {
  const { store } = await seeded(t);
  for (let i = 0; i < 5; i++) await putHeld(store, `old/f${i}.txt`, `old ${i}`);
  await store.locked(() => store.checkpoint());
  await putHeld(store, 'old/f0.txt', 'new 0');
  t.equal((await journalLines(store)).length, 1, 'one live line after the checkpoint');
  t.ok(readFileSync(join(store.drive, '_journal.log'), 'latin1').includes('"op":"redo"'), 'older lines are still in the file');
  await store.locked(() => store.remove(['old', 'f1.txt']));
  await store.abandon();
  const again = reopen(store);
  await again.init();
  t.notOk(existsSync(join(store.files, 'old/f1.txt')), 'a deleted file is not brought back by an old line');
  t.equal(readFileSync(join(store.files, 'old/f0.txt'), 'utf8'), 'new 0');
  await consistent(t, again, 'after generations');
  await again.close();
});

t.test('a checkpoint cut before the journal was emptied replays to the same state, twice', async (t) => {
  const { store } = await seeded(t);
  const before = onDisk(store);
  await putHeld(store, 'docs/a.txt', 'alpha, rewritten');
  await putHeld(store, 'n1/n2/deep.txt', 'deep');
  await store.locked(() => store.mkdir(['n1', 'empty'], false));
  await store.locked(() => store.setProps(['docs', 'a.txt'], { '{urn:x}p': 'v' }, []));
  await putHeld(store, 'docs/sub/b.txt', 'bravo, rewritten');
  const journal = saveJournals(store);
  await store.locked(() => store.checkpoint());
  const after = onDisk(store);
  await store.abandon();
  // Cut mid-checkpoint: some indexes and files written, others not; the journal still whole.
  journal();
  writeFileSync(join(store.files, '_index.json'), JSON.stringify(before['/']));
  writeFileSync(store.metaFile, JSON.stringify(before._meta));
  unlinkSync(join(store.files, 'n1/n2/deep.txt'));
  writeFileSync(join(store.files, 'docs/a.txt'), 'alpha');
  const again = reopen(store);
  await again.init();
  t.same(onDisk(again), after, 'the replay gives exactly what the checkpoint wrote');
  t.equal(readFileSync(join(store.files, 'n1/n2/deep.txt'), 'utf8'), 'deep', 'a file the checkpoint had not written is restored');
  t.equal(readFileSync(join(store.files, 'docs/a.txt'), 'utf8'), 'alpha, rewritten', 'an overwrite the checkpoint had not written is restored');
  t.equal((await again.stat(['docs', 'a.txt']))?.props?.['{urn:x}p'], 'v', 'the dead property is replayed');
  await consistent(t, again, 'after a cut checkpoint');
  await again.abandon();
  // And again over its own result (a crash during the replay's own checkpoint).
  journal();
  const third = reopen(store);
  await third.init();
  t.same(onDisk(third), after, 'replaying twice changes nothing');
  const walked = await walkTotals(store.files);
  const root = (await third.readIndex([]))!;
  t.same({ files: root.total_files, dirs: root.total_dirs, bytes: root.total_bytes }, walked, 'totals equal a fresh walk');
  await third.close();
});

t.test('held files written by a checkpoint aside never overwrite a change committed meanwhile', async (t) => {
  const { store } = await seeded(t);
  const large = async (path: string, body: string) => {
    const tmp = store.tempFile();
    writeFileSync(tmp, body);
    await store.locked(() => store.commitFile(path.split('/'), tmp, { size: body.length, etag: etag(body), content_type: 'text/plain' }, true));
  };
  const round = async (commits: () => Promise<void>) => {
    let started!: () => void;
    const switched = new Promise<void>((r) => (started = r));
    store.onCheckpointStep = (step) => (step === 'switched' ? started() : undefined);
    const aside = store.checkpointAside();
    await switched;
    await commits();
    await aside;
    store.onCheckpointStep = undefined;
  };
  await putHeld(store, 'race/a.txt', 'small a');
  await putHeld(store, 'race/b.txt', 'small b');
  await putHeld(store, 'race/c.txt', 'small c');
  await putHeld(store, 'c.bin', 'charlie, held');
  // Commits between the journal switch and the writes: a large upload onto a held path (new and
  // overwritten), a newer held version; each must win over what the checkpoint holds.
  await round(async () => {
    await large('race/a.txt', 'LARGE A, synced on its own');
    await large('c.bin', 'LARGE C, synced on its own');
    await putHeld(store, 'race/c.txt', 'small c, newer');
  });
  t.equal(store.pendingData(['race', 'a.txt']), undefined, 'a file replaced by a large upload is no longer held');
  t.equal(store.pendingData(['race', 'c.txt'])?.toString(), 'small c, newer', 'the newer version is held');
  t.equal(readFileSync(join(store.files, 'race/a.txt'), 'utf8'), 'LARGE A, synced on its own');
  t.equal(readFileSync(join(store.files, 'c.bin'), 'utf8'), 'LARGE C, synced on its own');
  t.equal(readFileSync(join(store.files, 'race/b.txt'), 'utf8'), 'small b', 'an untouched held file is written');
  t.ok((await journalLines(store)).length > 0, 'the commits made meanwhile are still in the journal');
  // The same while the worker writes the held files (the commits run alongside, in either order).
  for (let i = 0; i < 40; i++) await putHeld(store, `race/m${i}.txt`, `small m${i}`);
  await putHeld(store, 'race/e.txt', 'small e');
  await putHeld(store, 'race/f.txt', 'small f');
  await putHeld(store, 'c.bin', 'charlie, held again');
  let alongside: Promise<unknown> = Promise.resolve();
  store.onCheckpointStep = (step) => {
    if (step === 'switched') alongside = Promise.all([large('race/e.txt', 'LARGE E'), putHeld(store, 'race/f.txt', 'small f, newer'), large('c.bin', 'LARGE C again')]);
  };
  await store.checkpointAside();
  await alongside;
  store.onCheckpointStep = undefined;
  await consistent(t, store, 'after checkpoints racing commits');
  t.equal(readFileSync(join(store.files, 'race/c.txt'), 'utf8'), 'small c, newer', 'the newer held version wins');
  t.equal(readFileSync(join(store.files, 'race/e.txt'), 'utf8'), 'LARGE E');
  t.equal(readFileSync(join(store.files, 'race/f.txt'), 'utf8'), 'small f, newer');
  t.equal(readFileSync(join(store.files, 'c.bin'), 'utf8'), 'LARGE C again');
  t.equal(readFileSync(join(store.files, 'race/m39.txt'), 'utf8'), 'small m39');
  t.same(readdirSync(join(store.files, 'race')).filter((n) => n.endsWith('.tmp')), [], 'no temp left behind');
  await store.close();
});

t.test('a checkpoint aside cut at every step, with commits going on, replays to what was acknowledged, twice', async (t) => {
  const { root, store } = await seeded(t);
  const acked = new Map<string, string>([['docs/a.txt', 'alpha'], ['docs/sub/b.txt', 'bravo!'], ['c.bin', 'charlie'], ['photos/2026/d.jpg', 'delta delta']]);
  const ack = async (path: string, body: string) => {
    await putHeld(store, path, body);
    acked.set(path, body);
  };
  for (let i = 0; i < 6; i++) await ack(`cut/f${i}.txt`, `first ${i}`);
  await ack('docs/a.txt', 'alpha, held');
  await store.locked(() => store.mkdir(['cut', 'empty'], false));
  // At every step: a copy of the drive as a kill -9 leaves it, then more commits (into the newer journal).
  const images: { step: string; dir: string; acked: Map<string, string> }[] = [];
  let k = 0;
  // One step at a time (the checkpoint writes two files at once): an image never catches a
  // commit whose line is durable but not yet acknowledged.
  let turn = Promise.resolve();
  store.onCheckpointStep = (step) => (turn = turn.then(async () => {
    const dir = join(root, `image-${k++}`);
    cpSync(store.drive, dir, { recursive: true });
    images.push({ step, dir, acked: new Map(acked) });
    await ack(`cut/g${k}.txt`, `during ${step}`);
    await ack(`cut/f${k % 6}.txt`, `rewritten during ${step}`);
  }));
  await store.checkpointAside();
  store.onCheckpointStep = undefined;
  t.same(images.map((i) => i.step), ['switched', 'held files written', 'indexes written', 'files synced', 'directories synced', 'journal emptied'], 'a cut after every step');
  for (const image of images) {
    const users = join(image.dir, '..', `root-${images.indexOf(image)}`, 'domains/example.com/users/alice');
    mkdirSync(users, { recursive: true });
    renameSync(image.dir, join(users, 'drive'));
    const imageRoot = join(users, '../../../..');
    const journals = JOURNALS.map((n) => [join(users, 'drive', n), existsSync(join(users, 'drive', n)) ? readFileSync(join(users, 'drive', n)) : undefined] as const);
    for (let pass = 1; pass <= 2; pass++) {
      if (pass === 2) for (const [path, data] of journals) if (data) writeFileSync(path, data); // a crash during the replay's own checkpoint
      const again = new DriveStore(imageRoot, 'example.com', 'alice');
      await again.init();
      for (const [path, body] of image.acked) {
        t.equal(readFileSync(join(again.files, path), 'utf8'), body, `cut after "${image.step}" (replay ${pass}): ${path} as acknowledged`);
      }
      await consistent(t, again, `cut after "${image.step}" (replay ${pass})`);
      await again.abandon();
    }
  }
  await consistent(t, store, 'the live store after the checkpoint');
  await store.close();
});

t.test('a redo line carries every small upload byte for byte, whatever its name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const j = new DriveJournal(join(dir, '_journal.log'));
  await j.clear();
  const meta = (n: number) => ({ ctag: n, sync_token: n, total_files: 1, total_dirs: 0, total_bytes: 5 });
  const data = new Map([['a/\u00fc \u00e9.txt', Buffer.from('hello')], ['empty', Buffer.alloc(0)], ['quote"d', Buffer.from([0, 1, 2, 255])], ['four-k', Buffer.alloc(4096, 7)]]);
  await j.redo({ dirs: {}, meta: meta(1) }, data);
  await j.redo({ dirs: {}, meta: meta(2) }, new Map([['\u00df/\u00fc', Buffer.from('zz')]]));
  const lines = (await j.entries()) as { data: Record<string, string> }[];
  t.equal(lines.length, 2, 'both lines read back');
  t.same(Object.keys(lines[0]!.data), [...data.keys()], 'every name');
  for (const [k, v] of data) t.equal(Buffer.from(lines[0]!.data[k]!, 'base64').toString('hex'), v.toString('hex'), `the bytes of ${k}`);
  t.equal(Buffer.from(lines[1]!.data['\u00df/\u00fc']!, 'base64').toString(), 'zz');
  await j.close();
});

t.test('a read of a drive that does not exist creates nothing and is remembered briefly', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rmail-drive-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const store = new DriveStore(root, 'example.com', 'nobody');
  await store.init(false);
  t.notOk(store.opened, 'not opened');
  t.notOk(existsSync(store.drive), 'nothing created');
  // another process creates the drive: seen after the short absence window, not before
  mkdirSync(store.drive, { recursive: true });
  await store.init(false);
  t.notOk(store.opened, 'still taken as absent within the window');
  await new Promise((r) => setTimeout(r, 2_100));
  await store.init(false);
  t.ok(store.opened, 'opened once the window passed');
  await store.close();
  const writer = new DriveStore(root, 'example.com', 'other');
  await writer.init(false);
  await writer.init(true);
  t.ok(writer.opened, 'a write opens (creates) the drive at once');
  await writer.close();
});
