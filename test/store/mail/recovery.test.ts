import t, { type Test } from 'tap';
import { readFileSync, writeFileSync, appendFileSync, existsSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mailHarness } from '../../helpers/mail.js';
import { mailFolderDir } from '../../../src/store/layout.js';
import type { FolderIndex } from '../../../src/actors/mail/folder-index.js';
import { FolderSummaries } from '../../../src/actors/mail/summaries.js';

const ID = 'alice@example.com';
const MSG = (n: number) => Buffer.from(`Subject: m${n}\r\nFrom: a@example.com\r\n\r\nbody ${n}\r\n`);
/** Over 64 KiB: written to a temp file and fsync'd with the commit (not carried by its journal line). */
const BIG = (n: number) => Buffer.from(`Subject: m${n}\r\nFrom: a@example.com\r\n\r\n${'body line\r\n'.repeat(7000)}`);

async function seeded(t: Test) {
  const h = await mailHarness(t);
  await h.addUser(ID);
  for (let i = 1; i <= 5; i++) await h.mail.append(ID, 'INBOX', { data: MSG(i) }, { flags: i % 2 ? ['\\Seen'] : [] });
  await h.mail.setFlags(ID, 'INBOX', [2], 'add', ['\\Flagged']);
  await h.mail.expunge(ID, 'INBOX', [3]);
  const dir = mailFolderDir(h.root, 'example.com', 'alice', (await h.mail.folder(ID, 'INBOX')).info.id);
  return { h, dir };
}

async function checkAll(t: Test, h: Awaited<ReturnType<typeof mailHarness>>, uids: number[]) {
  const v = await h.mail.folder(ID, 'INBOX');
  t.same(v.messages.map((m) => m.uid), uids, 'every acknowledged message, once');
  for (const uid of uids) t.ok(readFileSync(h.mail.messageFile(ID, 'INBOX', uid)).equals(MSG(uid)), `content of ${uid}`);
  const next = await h.mail.append(ID, 'INBOX', { data: MSG(99) });
  t.ok(next.uid > Math.max(...uids, 5), 'new uid above every old one');
  return v;
}

t.test('restart keeps messages, flags, uidnext, modseq', async (t) => {
  const { h } = await seeded(t);
  const before = { ...(await h.mail.folder(ID, 'INBOX')).info };
  await h.restart();
  const v = await h.mail.folder(ID, 'INBOX');
  t.same(v.messages.map((m) => m.uid), [1, 2, 4, 5]);
  t.same(v.byUid(2)!.flags, ['\\Flagged']);
  t.same(v.byUid(1)!.flags, ['\\Seen']);
  t.equal(v.info.uidNext, before.uidNext);
  t.equal(v.info.highestModseq, before.highestModseq);
  t.equal(v.info.uidValidity, before.uidValidity);
  t.equal(v.info.unread, 2);
  t.same(v.expungedSince(0), [3]);
  t.equal((await h.mail.summary(ID, 'INBOX', 4)).envelope.subject, 'm4');
});

t.test('torn last journal line is dropped, nothing lost', async (t) => {
  const { h, dir } = await seeded(t);
  appendFileSync(join(dir, 'index.log'), '1234abcd ["a",9,99');
  await h.restart();
  const v = await checkAll(t, h, [1, 2, 4, 5]);
  t.same(v.byUid(2)!.flags, ['\\Flagged'], 'flags kept');
});

t.test('bad checksum in the middle: rebuilt from the message files', async (t) => {
  const { h, dir } = await seeded(t);
  const log = readFileSync(join(dir, 'index.log'), 'utf8').split('\n');
  log[1] = log[1]!.replace('"a"', '"A"');
  writeFileSync(join(dir, 'index.log'), log.join('\n'));
  await h.restart();
  await checkAll(t, h, [1, 2, 4, 5]);
  t.notOk(existsSync(join(dir, '3.eml')));
});

t.test('corrupt snapshot: rebuilt from the message files', async (t) => {
  const { h, dir } = await seeded(t);
  const idx = (await h.mail.folder(ID, 'INBOX')) as FolderIndex;
  await h.actors.user(ID).mutate(() => idx.compact());
  t.equal(statSync(join(dir, 'index.log')).size, 0, 'journal emptied by compaction');
  await h.restart();
  t.same((await h.mail.folder(ID, 'INBOX')).byUid(2)!.flags, ['\\Flagged'], 'snapshot holds the flags');
  const snap = readFileSync(join(dir, 'index.snap'), 'utf8');
  writeFileSync(join(dir, 'index.snap'), snap.slice(0, snap.length - 10));
  await h.restart();
  const v = await checkAll(t, h, [1, 2, 4, 5]);
  t.ok(v.byUid(1)!.internalDate > 0, 'internal date recovered from the file');
});

t.test('unacknowledged leftover file above uidnext is removed', async (t) => {
  const { h, dir } = await seeded(t);
  writeFileSync(join(dir, '6.eml'), 'half-written junk');
  writeFileSync(join(dir, '7.eml'), 'more junk');
  await h.restart();
  const v = await h.mail.folder(ID, 'INBOX');
  t.same(v.messages.map((m) => m.uid), [1, 2, 4, 5]);
  t.notOk(existsSync(join(dir, '7.eml')));
  const r = await h.mail.append(ID, 'INBOX', { data: MSG(6) });
  t.equal(r.uid, 6);
  t.ok(readFileSync(h.mail.messageFile(ID, 'INBOX', 6)).equals(MSG(6)));
  await h.restart();
  t.equal((await h.mail.summary(ID, 'INBOX', 6)).envelope.subject, 'm6', 'summary of the reused uid is the new one');
});

t.test('compaction keeps everything and a flag change stays one line', async (t) => {
  const { h, dir } = await seeded(t);
  for (let i = 0; i < 700; i++) await h.mail.setFlags(ID, 'INBOX', [1, 2, 4], i % 2 ? 'remove' : 'add', ['k']);
  t.ok(statSync(join(dir, 'index.log')).size < 200_000);
  // the journal's lines, without the zeroed space written ahead of them
  const lines = (): number => readFileSync(join(dir, 'index.log'), 'latin1').replace(/\0+$/, '').length;
  const size = lines();
  await h.mail.setFlags(ID, 'INBOX', [5], 'add', ['\\Answered']);
  const grew = lines() - size;
  t.ok(grew > 0 && grew < 100, `one short journal line (${grew} bytes)`);
  await h.restart();
  const v = await h.mail.folder(ID, 'INBOX');
  t.same(v.messages.map((m) => m.uid), [1, 2, 4, 5]);
  t.same(v.byUid(5)!.flags.sort(), ['\\Answered', '\\Seen']);
  t.same(v.byUid(2)!.flags, ['\\Flagged']);
});

t.test('a journal line whose file did not survive is dropped, its uid not reused', async (t) => {
  const { h, dir } = await seeded(t);
  await h.mail.append(ID, 'INBOX', { data: BIG(6) });
  await h.mail.append(ID, 'INBOX', { data: BIG(7) });
  await h.restart();
  rmSync(join(dir, '7.eml'));
  await h.restart();
  const v = await h.mail.folder(ID, 'INBOX');
  t.same(v.messages.map((m) => m.uid), [1, 2, 4, 5, 6]);
  t.equal(v.info.uidNext, 8);
  t.equal((await h.mail.append(ID, 'INBOX', { data: MSG(8) })).uid, 8);
});

t.test('summaries of expunged messages are compacted away', async (t) => {
  const h = await mailHarness(t);
  await h.addUser(ID);
  const uids: number[] = [];
  const subject = new Map<number, string>();
  await Promise.all(Array.from({ length: 520 }, async (_, i) => {
    const uid = (await h.mail.append(ID, 'INBOX', { data: MSG(i) })).uid;
    uids.push(uid);
    subject.set(uid, `m${i}`);
  }));
  const dir = mailFolderDir(h.root, 'example.com', 'alice', (await h.mail.folder(ID, 'INBOX')).info.id);
  const before = statSync(join(dir, 'summaries.jsonl')).size;
  const keep = Math.max(...uids);
  await h.mail.expunge(ID, 'INBOX', uids.filter((u) => u !== keep));
  await h.mail.setFlags(ID, 'INBOX', [keep], 'add', ['\\Seen']);
  const idx = (await h.mail.folder(ID, 'INBOX')) as FolderIndex;
  await h.actors.user(ID).mutate(() => idx.compact());
  t.ok(statSync(join(dir, 'summaries.jsonl')).size < before / 50, 'dead summary lines dropped');
  t.equal((await h.mail.summary(ID, 'INBOX', keep)).envelope.subject, subject.get(keep));
  await h.restart();
  t.equal((await h.mail.summary(ID, 'INBOX', keep)).envelope.subject, subject.get(keep));
});

t.test('summary lines written before and after an idle close of the folder files are all on disk', async (t) => {
  const h = await mailHarness(t);
  await h.addUser(ID);
  await h.mail.append(ID, 'INBOX', { data: MSG(1) });
  const idx = (await h.mail.folder(ID, 'INBOX')) as FolderIndex;
  await h.actors.user(ID).mutate(() => idx.closeLog());
  await h.mail.append(ID, 'INBOX', { data: MSG(2) });
  const dir = mailFolderDir(h.root, 'example.com', 'alice', idx.info.id);
  const lines = readFileSync(join(dir, 'summaries.jsonl'), 'utf8').split('\n').filter(Boolean);
  t.same(lines.map((l) => Number(l.split(' ')[0])), [1, 2], 'one line per message, in order, the second after the reopen');
  t.equal(JSON.parse(lines[1]!.slice(2)).envelope.subject, 'm2', 'the line holds the summary');
  await h.restart();
  t.equal((await h.mail.summary(ID, 'INBOX', 2)).envelope.subject, 'm2', 'read back after a restart');
});

t.test('an append that fails after its journal line is written reuses no uid, before or after a restart', async (t) => {
  const { h } = await seeded(t);
  // the summaries write fails once: the journal line of that commit is on disk, the command fails
  const proto = FolderSummaries.prototype;
  const append = proto.append;
  proto.append = async function () {
    proto.append = append;
    throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
  };
  t.teardown(() => void (proto.append = append));
  await t.rejects(h.mail.append(ID, 'INBOX', { data: MSG(6) }), /injected EIO/);
  const next = await h.mail.append(ID, 'INBOX', { data: MSG(7) });
  t.equal(next.uid, 7, 'the failed commit burnt uid 6');
  t.same((await h.mail.folder(ID, 'INBOX')).messages.map((m) => m.uid), [1, 2, 4, 5, 7]);
  t.ok(readFileSync(h.mail.messageFile(ID, 'INBOX', 7)).equals(MSG(7)));
  await h.restart();
  const v = await h.mail.folder(ID, 'INBOX');
  t.same(v.messages.map((m) => m.uid), [1, 2, 4, 5, 7], 'after a restart: each acknowledged message once');
  t.ok(readFileSync(h.mail.messageFile(ID, 'INBOX', 7)).equals(MSG(7)), 'content of 7');
  t.equal((await h.mail.append(ID, 'INBOX', { data: MSG(8) })).uid, 8);
});
