/**
 * Crash cuts in the mail store (issue 3, found by the crash harness): do the first half of a
 * MOVE or an EXPUNGE by hand, as a `kill -9` would leave it, then reopen as a restart would.
 */
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync, existsSync, linkSync, readdirSync, appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mailHarness, type MailHarness } from '../../helpers/mail.js';
import { mailFolderDir } from '../../../src/store/layout.js';
import type { FolderIndex } from '../../../src/actors/mail/folder-index.js';
import { PRESYNC } from '../../../src/actors/mail/folder-recovery.js';
import { verifyMailRoot } from '../../../src/main/verify.js';
import { encodeRecord } from '../../../src/store/mail/journal.js';

const ID = 'alice@example.com';
const MSG = (n: number) => Buffer.from(`Subject: m${n}\r\nFrom: a@example.com\r\n\r\nbody ${n}\r\n`);
/** Over 64 KiB: written to a temp file and fsync'd with the commit (not carried by its journal line). */
const BIG = (n: number) => Buffer.from(`Subject: m${n}\r\nFrom: a@example.com\r\n\r\n${'body line\r\n'.repeat(7000)}`);

async function seeded(t: Test) {
  const h = await mailHarness(t);
  await h.addUser(ID);
  for (let i = 1; i <= 4; i++) await h.mail.append(ID, 'INBOX', { data: MSG(i) }, { flags: i === 2 ? ['\\Flagged'] : [] });
  await h.mail.append(ID, 'Archive', { data: MSG(100) });
  return h;
}

const index = async (h: MailHarness, folder: string) => (await h.mail.folder(ID, folder)) as FolderIndex;
const dirOf = async (h: MailHarness, folder: string) => mailFolderDir(h.root, 'example.com', 'alice', (await h.mail.folder(ID, folder)).info.id);
const uids = async (h: MailHarness, folder: string) => (await h.mail.folder(ID, folder)).messages.map((m) => m.uid);
const subjects = async (h: MailHarness, folder: string) =>
  Promise.all((await uids(h, folder)).map(async (u) => (await h.mail.summary(ID, folder, u)).envelope.subject));

async function verifyClean(t: Test, h: MailHarness): Promise<void> {
  const v = await verifyMailRoot(h.root);
  t.same(v.issues.map((i) => `${i.level} ${i.where}: ${i.what}`), [], 'verify finds nothing');
}

/** The first half of MOVE 2,3 INBOX -> Archive: the intent, then (if `copied`) the destination commit. */
async function halfMove(h: MailHarness, copied: 'none' | 'files' | 'all'): Promise<void> {
  const src = await index(h, 'INBOX');
  const dst = await index(h, 'Archive');
  await h.actors.user(ID).mutate(async () => {
    const metas = [2, 3].map((u) => src.byUid(u)!);
    await src.intendMove([2, 3], dst.info.id, metas.map((_, i) => dst.info.uidNext + i));
    if (copied === 'all') {
      await dst.commitAdds(metas.map((m) => ({ linkFrom: src.file(m.uid), size: m.size, date: m.internalDate, flags: m.flags, summary: null })));
    } else if (copied === 'files') {
      // linked into place, cut before the journal line
      metas.forEach((m, i) => linkSync(src.file(m.uid), dst.file(dst.info.uidNext + i)));
    }
  });
}

t.test('MOVE cut after the destination commit: rolled forward on restart', async (t) => {
  const h = await seeded(t);
  await halfMove(h, 'all');
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4], 'before the restart the cut move shows in both (the defect)');
  await h.restart();
  // open the destination first, as an IMAP SELECT would
  t.same(await subjects(h, 'Archive'), ['m100', 'm2', 'm3'], 'destination has the moved messages');
  t.same(await uids(h, 'INBOX'), [1, 4], 'source no longer has them');
  t.notOk(existsSync(join(await dirOf(h, 'INBOX'), '2.eml')), 'source file removed');
  t.same((await h.mail.folder(ID, 'Archive')).byUid(3)!.flags, [], 'flags moved along');
  t.same((await h.mail.folder(ID, 'Archive')).byUid(2)!.flags, ['\\Flagged'], 'flags moved along');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 4], 'settled for good');
  t.same(await uids(h, 'Archive'), [1, 2, 3]);
  await verifyClean(t, h);
});

t.test('MOVE cut after the intent only: rolled back on restart', async (t) => {
  const h = await seeded(t);
  await halfMove(h, 'none');
  await h.restart();
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4'], 'source keeps them');
  t.same(await uids(h, 'Archive'), [1], 'destination unchanged');
  // a later COPY to the planned uids must not be mistaken for the old move
  await h.mail.copy(ID, 'INBOX', [2, 3], 'Archive');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4], 'copy kept the source');
  t.same(await uids(h, 'Archive'), [1, 2, 3]);
  await verifyClean(t, h);
});

t.test('MOVE cut after the links, before the destination journal line: rolled back', async (t) => {
  const h = await seeded(t);
  await halfMove(h, 'files');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4], 'source keeps them');
  t.same(await uids(h, 'Archive'), [1], 'unacknowledged links dropped');
  t.same(readdirSync(await dirOf(h, 'Archive')).filter((n) => n.endsWith('.eml')), ['1.eml']);
  await verifyClean(t, h);
});

t.test('MOVE cut after the destination commit, source opened first', async (t) => {
  const h = await seeded(t);
  await halfMove(h, 'all');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 4]);
  t.same(await subjects(h, 'Archive'), ['m100', 'm2', 'm3']);
  const folders = await h.mail.listFolders(ID);
  t.equal(folders.find((f) => f.name === 'INBOX')!.total, 2);
  t.equal(folders.find((f) => f.name === 'Archive')!.total, 3);
  await verifyClean(t, h);
});

t.test('a completed MOVE leaves no pending intent; intents survive compaction', async (t) => {
  const h = await seeded(t);
  const r = await h.mail.move(ID, 'INBOX', [1], 'Archive');
  t.same(r.pairs, [[1, 2]]);
  t.same((await index(h, 'INBOX')).pendingMoves(), []);
  await halfMove(h, 'all');
  const src = await index(h, 'INBOX');
  await h.actors.user(ID).mutate(() => src.compact());
  t.equal(src.pendingMoves().length, 1, 'still pending after compaction');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [4]);
  t.same(await subjects(h, 'Archive'), ['m100', 'm1', 'm2', 'm3']);
  t.same((await index(h, 'INBOX')).pendingMoves(), []);
  await verifyClean(t, h);
});

t.test('EXPUNGE cut after its journal line: the files are removed on open', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  const keep = join(dir, '..', 'keep');
  linkSync(join(dir, '2.eml'), `${keep}2`);
  linkSync(join(dir, '3.eml'), `${keep}3`);
  t.same(await h.mail.expunge(ID, 'INBOX', [2, 3]), [2, 3]);
  // as if the unlinks never happened
  linkSync(`${keep}2`, join(dir, '2.eml'));
  linkSync(`${keep}3`, join(dir, '3.eml'));
  const before = await verifyMailRoot(h.root);
  t.match(before.issues.map((i) => i.what).join('\n'), /2\.eml on disk but not in the index/, 'the defect as verify sees it');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 4]);
  t.notOk(existsSync(join(dir, '2.eml')));
  t.notOk(existsSync(join(dir, '3.eml')));
  t.ok(readFileSync(join(dir, '4.eml')).equals(MSG(4)), 'acknowledged messages untouched');
  await verifyClean(t, h);
  t.equal((await h.mail.append(ID, 'INBOX', { data: MSG(5) })).uid, 5, 'uids not reused');
});

t.test('verify --fix rebuilds an index that disagrees with the files', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  await h.mail.expunge(ID, 'INBOX', [3]);
  await h.mail.append(ID, 'INBOX', { data: MSG(5) });
  await h.restart();
  writeFileSync(join(dir, '3.eml'), MSG(3)); // an expunged message's file, not the last expunge
  const bad = await verifyMailRoot(h.root);
  t.ok(bad.issues.some((i) => i.level === 'error'), 'reported');
  const fixed = await verifyMailRoot(h.root, { fix: true });
  t.ok(fixed.issues.length > 0 && fixed.issues.every((i) => i.fixed), 'every issue fixed');
  await verifyClean(t, h);
  t.same(await uids(h, 'INBOX'), [1, 2, 4, 5]);
  t.same((await h.mail.folder(ID, 'INBOX')).byUid(2)!.flags, ['\\Flagged'], 'flags of an intact index kept');
});

t.test('a damaged journal is rebuilt from the message files; rebuild is public', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  appendFileSync(join(dir, 'index.log'), 'garbage line\n' + encodeRecord({ t: 'f', uid: 1, modseq: 999, flags: ['x'] }));
  await h.restart();
  const idx = await index(h, 'INBOX');
  t.ok(idx.rebuilt, 'detected and rebuilt on open');
  t.same(idx.messages.map((m) => m.uid), [1, 2, 3, 4]);
  await verifyClean(t, h);
  // a snapshot with uids out of order is damage too
  await h.actors.user(ID).mutate(() => idx.compact());
  const snap = readFileSync(join(dir, 'index.snap'), 'utf8').split('\n');
  [snap[1], snap[2]] = [snap[2]!, snap[1]!];
  writeFileSync(join(dir, 'index.snap'), snap.join('\n'));
  await h.restart();
  t.ok((await index(h, 'INBOX')).rebuilt, 'out-of-order snapshot rebuilt');
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4]);
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4']);
  await verifyClean(t, h);
});

t.test('a commit whose file fsync ran with the journal: a file that did not survive is dropped on open', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  await h.mail.append(ID, 'INBOX', { data: BIG(5) });
  const log = readFileSync(join(dir, 'index.log'), 'utf8').replace(/\0+$/, '').trim().split('\n');
  t.match(log[log.length - 1]!, /^[0-9a-f]{8} \["a",5,\d+,\d+,\d+,\[\],\d+,1\]$/, 'the line carries crc32 and the commit size');
  // the last commit's file lost its content (as if the crash came before its fsync): size 0
  writeFileSync(join(dir, '5.eml'), '');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4], 'the unacknowledged message is dropped');
  t.notOk(existsSync(join(dir, '5.eml')), 'its file removed');
  await verifyClean(t, h);
  t.equal((await h.mail.append(ID, 'INBOX', { data: BIG(6) })).uid, 6, 'its uid is not reused');
  // same size, other bytes (garbage blocks): caught by the crc
  const f6 = join(dir, '6.eml');
  writeFileSync(f6, Buffer.alloc(BIG(6).length, 0));
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4]);
  // an earlier commit's file is not checked against its crc (it was acknowledged, its fsync done)
  await h.mail.append(ID, 'INBOX', { data: BIG(7) });
  await h.mail.append(ID, 'INBOX', { data: BIG(8) });
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4, 7, 8]);
  t.ok(readFileSync(join(dir, '8.eml')).equals(BIG(8)));
  await verifyClean(t, h);
});

t.test('a small APPEND: its journal line carries the bytes; a file lost, emptied or garbled in a crash is restored from it', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  const log = readFileSync(join(dir, 'index.log'), 'utf8').replace(/\0+$/, '').trim().split('\n');
  const last = JSON.parse(log[log.length - 1]!.slice(9)) as unknown[];
  t.same(last.slice(0, 2), ['a', 4]);
  t.ok(Buffer.from(last[8] as string, 'base64').equals(MSG(4)), 'the line holds the message bytes');
  // what a crash can leave of files written without fsync: gone, empty, or the right size of garbage
  rmSync(join(dir, '3.eml'));
  writeFileSync(join(dir, '4.eml'), '');
  writeFileSync(join(dir, '2.eml'), Buffer.alloc(MSG(2).length, 0));
  const seen = await verifyMailRoot(h.root);
  t.same(seen.issues.map((i) => `${i.level} ${i.what}`), [3, 4].map((u) => `warning ${u}.eml lost in a crash (restored from its journal line when the folder is next opened)`),
    'verify: a lost or emptied inline file is a warning, not an error (a same-size garbled one is found only by the crc check on open)');
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4], 'every acknowledged message is there');
  for (const u of [1, 2, 3, 4]) t.ok(readFileSync(join(dir, `${u}.eml`)).equals(MSG(u)), `${u}.eml restored byte for byte`);
  t.same((await h.mail.folder(ID, 'INBOX')).byUid(2)!.flags, ['\\Flagged'], 'flags kept');
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4']);
  await verifyClean(t, h);
  t.equal((await h.mail.append(ID, 'INBOX', { data: MSG(5) })).uid, 5, 'no uid reused');
});

t.test('a small APPEND cut before its journal line: the file is an unacknowledged leftover', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  writeFileSync(join(dir, '5.eml'), MSG(5));
  await h.restart();
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4]);
  t.notOk(existsSync(join(dir, '5.eml')), 'leftover removed');
  t.equal((await h.mail.append(ID, 'INBOX', { data: MSG(6) })).uid, 5);
  await verifyClean(t, h);
});

t.test('compaction fsyncs the inline files first and leaves no message bytes in the journal', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  const idx = await index(h, 'INBOX');
  await h.actors.user(ID).mutate(() => idx.compact());
  const log = readFileSync(join(dir, 'index.log'), 'utf8').replace(/\0+$/, '');
  t.equal(log, '', 'fresh journal');
  await h.restart();
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4']);
  await verifyClean(t, h);
});

t.test('near compaction the inline files are fsync\'d in the background; their lines keep the bytes until compaction', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  const idx = await index(h, 'INBOX');
  t.equal(idx.unsyncedInline, 4, 'far from compaction: nothing synced ahead');
  const saved = { ...PRESYNC };
  t.teardown(() => Object.assign(PRESYNC, saved));
  Object.assign(PRESYNC, { near: 0, min: 3 });
  await h.mail.append(ID, 'INBOX', { data: MSG(5) });
  await h.actors.user(ID).mutate(async () => undefined); // the actor is idle: the append's turn is over
  for (let i = 0; i < 200 && idx.unsyncedInline > 0; i++) await new Promise((r) => setTimeout(r, 5));
  t.equal(idx.unsyncedInline, 0, 'the five inline files are synced ahead');
  t.ok(idx.holdsInline, 'the journal still carries their bytes (MailService.checkpoint still folds it)');
  t.ok(idx.restorable(5), 'and each is still restorable from its line');
  Object.assign(PRESYNC, { min: 2 });
  await h.mail.append(ID, 'INBOX', { data: MSG(6) });
  t.equal(idx.unsyncedInline, 1, 'fewer than `min` left: no background sync started');
  // a crash now: a file lost all the same is restored from its line
  rmSync(join(dir, '5.eml'));
  await h.restart();
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  t.ok(readFileSync(join(dir, '5.eml')).equals(MSG(5)), '5.eml restored byte for byte');
  const again = await index(h, 'INBOX');
  t.equal(again.unsyncedInline, 6, 'after a restart every inline file counts as unsynced again');
  await h.mail.checkpoint(ID);
  t.equal(readFileSync(join(dir, 'index.log'), 'utf8').replace(/\0+$/, ''), '', 'compaction empties the journal');
  t.equal(again.unsyncedInline, 0);
  await verifyClean(t, h);
});

t.test('closing a folder while its inline files are being fsync\'d in the background', async (t) => {
  const h = await seeded(t);
  const saved = { ...PRESYNC };
  t.teardown(() => Object.assign(PRESYNC, saved));
  Object.assign(PRESYNC, { near: 0, min: 1, chunk: 1, inFlight: 1 });
  await h.mail.append(ID, 'INBOX', { data: MSG(5) }); // starts fsyncing five files, one per chunk
  await h.restart(); // closes the folder at once: the background fsync stops after its chunk
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4', 'm5']);
  t.equal((await index(h, 'INBOX')).unsyncedInline, 5, 'reopened: every inline file counts as unsynced');
  await verifyClean(t, h);
});

t.test('MailService.checkpoint folds every journal that carries message bytes, and only those', async (t) => {
  const h = await seeded(t);
  await h.mail.checkpoint(ID);
  for (const f of ['INBOX', 'Archive']) {
    t.equal(readFileSync(join(await dirOf(h, f), 'index.log'), 'utf8').replace(/\0+$/, ''), '', `${f}: fresh journal`);
  }
  await h.mail.setFlags(ID, 'INBOX', [1], 'add', ['\\Seen']);
  await h.mail.checkpoint(ID);
  t.match(readFileSync(join(await dirOf(h, 'INBOX'), 'index.log'), 'utf8'), /\["f",1,/, 'a journal of flag lines only is left as it is');
  await h.restart();
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4']);
  t.same((await h.mail.folder(ID, 'INBOX')).byUid(1)!.flags, ['\\Seen']);
  await verifyClean(t, h);
});

t.test('MailService.checkpoint in a fresh process folds the journals the previous one left', async (t) => {
  const h = await seeded(t);
  await h.restart(); // no folder open: before, checkpoint only looked at open indexes
  await h.mail.checkpoint(ID);
  for (const f of ['INBOX', 'Archive']) {
    t.equal(readFileSync(join(await dirOf(h, f), 'index.log'), 'utf8').replace(/\0+$/, ''), '', `${f}: fresh journal`);
  }
  await h.restart();
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm3', 'm4']);
  t.same(await subjects(h, 'Archive'), ['m100']);
  await verifyClean(t, h);
});

t.test('COPY and MOVE of small appends: the destination links survive a restart byte for byte', async (t) => {
  const h = await seeded(t);
  await h.mail.copy(ID, 'INBOX', [1], 'Archive');
  await h.mail.move(ID, 'INBOX', [3], 'Archive');
  await h.restart();
  t.same(await subjects(h, 'Archive'), ['m100', 'm1', 'm3']);
  t.same(await subjects(h, 'INBOX'), ['m1', 'm2', 'm4']);
  const adir = await dirOf(h, 'Archive');
  t.ok(readFileSync(join(adir, '3.eml')).equals(MSG(3)));
  await verifyClean(t, h);
});

t.test('delivery to several users: one file, hard links, each durable and byte-identical', async (t) => {
  const h = await seeded(t);
  await h.addUser('bob@example.com');
  const { DeliveryService } = await import('../../../src/services/delivery.js');
  const { Spool } = await import('../../../src/services/spool.js');
  const { silentLogger } = await import('../../../src/main/log.js');
  const d = new DeliveryService({ config: h.config, log: silentLogger, accounts: h.accounts, mail: h.mail });
  const spool = await Spool.from(h.root, MSG(42));
  const out = await d.deliver(spool, 'Received: test\r\n', [ID, 'bob@example.com']);
  t.same(out.map((o) => o.ok), [true, true]);
  for (const who of [ID, 'bob@example.com']) {
    const v = await h.mail.folder(who, 'INBOX');
    const uid = v.messages[v.messages.length - 1]!.uid;
    t.ok(readFileSync(h.mail.messageFile(who, 'INBOX', uid)).equals(Buffer.concat([Buffer.from('Received: test\r\n'), MSG(42)])), `${who}: bytes`);
    t.equal((await h.mail.summary(who, 'INBOX', uid)).envelope.subject, 'm42', `${who}: summary`);
  }
  t.same(readdirSync(join(h.root, 'tmp')).filter((n) => n.startsWith('msg-')), [], 'no temp file left');
  await h.restart();
  t.equal((await h.mail.folder('bob@example.com', 'INBOX')).info.total, 1, 'bob\'s copy survives a restart');
});

/** The journal's whole lines and the file's size (the rest is zeroed space written ahead). */
function journalOf(dir: string): { text: string; size: number } {
  const buf = readFileSync(join(dir, 'index.log'));
  return { text: buf.toString('latin1').replace(/\0+$/, ''), size: buf.length };
}

t.test('flag changes are written over zeroed space: the file keeps its size, a restart reads every line', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  await h.mail.setFlags(ID, 'INBOX', [1], 'add', ['k0']);
  const before = journalOf(dir);
  t.ok(before.size > before.text.length, 'zeroed space after the lines');
  for (let i = 1; i <= 20; i++) await h.mail.setFlags(ID, 'INBOX', [1 + (i % 4)], 'add', [`k${i}`]);
  const after = journalOf(dir);
  t.equal(after.size, before.size, 'no write changed the file size');
  t.equal(after.text.split('\n').length - before.text.split('\n').length, 20, 'one line per change');
  const flags = (await h.mail.folder(ID, 'INBOX')).messages.map((m) => [...m.flags]);
  await h.restart();
  t.same((await h.mail.folder(ID, 'INBOX')).messages.map((m) => m.flags), flags, 'every change read back');
  await verifyClean(t, h);
});

/** Overwrite the zeroed space at the journal's logical end with `text` (what a cut write leaves). */
function writeAtJournalEnd(dir: string, text: string): void {
  const { text: lines } = journalOf(dir);
  const buf = readFileSync(join(dir, 'index.log'));
  buf.write(text, lines.length, 'latin1');
  writeFileSync(join(dir, 'index.log'), buf);
}

t.test('a line torn over the zeroed space (kill -9 mid-write) is dropped; the next change goes in its place', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  await h.mail.setFlags(ID, 'INBOX', [3], 'add', ['\\Answered']);
  // the first half of a line for uid 4 written where the next line goes, zeros after it
  const torn = encodeRecord({ t: 'f', uid: 4, modseq: 999, flags: ['\\Deleted'] });
  writeAtJournalEnd(dir, torn.slice(0, 20));
  await h.restart();
  const v = await index(h, 'INBOX');
  t.notOk(v.rebuilt, 'a torn last line is not damage');
  t.same(v.byUid(4)!.flags, [], 'the torn change is not applied');
  t.same(v.byUid(3)!.flags, ['\\Answered'], 'the change before it is kept');
  await h.mail.setFlags(ID, 'INBOX', [4], 'add', ['\\Seen']);
  const j = journalOf(dir);
  t.ok(j.text.endsWith(encodeRecord({ t: 'f', uid: 4, modseq: v.info.highestModseq, flags: ['\\Seen'] })), 'written where the torn line was');
  t.notOk(j.text.includes(torn.slice(0, 20)), 'no torn bytes left between the lines');
  await h.restart();
  t.same((await index(h, 'INBOX')).byUid(4)!.flags, ['\\Seen']);
  await verifyClean(t, h);
});

t.test('a bad line followed by good ones over the zeroed space is damage: rebuilt', async (t) => {
  const h = await seeded(t);
  const dir = await dirOf(h, 'INBOX');
  await h.mail.setFlags(ID, 'INBOX', [3], 'add', ['\\Answered']);
  writeAtJournalEnd(dir, 'garbage\n' + encodeRecord({ t: 'f', uid: 1, modseq: 999, flags: ['x'] }));
  await h.restart();
  t.ok((await index(h, 'INBOX')).rebuilt, 'rebuilt from the message files');
  t.same(await uids(h, 'INBOX'), [1, 2, 3, 4]);
  await verifyClean(t, h);
});
