import t from 'tap';
import { mailHarness } from '../../helpers/mail.js';
import type { FolderIndex } from '../../../src/actors/mail/folder-index.js';

const ID = 'alice@example.com';
const MSG = (n: number) => Buffer.from(`Subject: m${n}\r\n\r\nbody ${n}\r\n`);

t.test('two stores on one mail_root (as two processes): writes interleave consistently', async (t) => {
  const a = await mailHarness(t);
  await a.addUser(ID);
  const b = await mailHarness(t, a.root);
  t.equal((await a.mail.append(ID, 'INBOX', { data: MSG(1) })).uid, 1);
  t.equal((await b.mail.append(ID, 'INBOX', { data: MSG(2) })).uid, 2);
  t.equal((await a.mail.append(ID, 'INBOX', { data: MSG(3) })).uid, 3, 'a sees b\'s append before writing');
  await b.mail.setFlags(ID, 'INBOX', [1], 'add', ['\\Seen']);
  await a.mail.setFlags(ID, 'INBOX', [3], 'add', ['\\Flagged']);
  const va = await a.mail.folder(ID, 'INBOX');
  t.same(va.byUid(1)!.flags, ['\\Seen'], 'a picked up b\'s flag change');
  // b compacts (replaces the journal file); a must not write into the old one
  const ib = (await b.mail.folder(ID, 'INBOX')) as FolderIndex;
  await b.actors.user(ID).mutate(async () => { await ib.refresh(); await ib.compact(); });
  t.equal((await a.mail.append(ID, 'INBOX', { data: MSG(4) })).uid, 4);
  await b.mail.createFolder(ID, 'FromB');
  await a.mail.append(ID, 'FromB', { data: MSG(5) });
  await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => a.mail.append(ID, 'INBOX', { data: MSG(100 + i) })),
    ...Array.from({ length: 10 }, (_, i) => b.mail.append(ID, 'INBOX', { data: MSG(200 + i) })),
  ]);
  await a.restart();
  const v = await a.mail.folder(ID, 'INBOX');
  t.equal(v.info.total, 24);
  t.same(v.messages.map((m) => m.uid), Array.from({ length: 24 }, (_, i) => i + 1));
  t.same(v.byUid(3)!.flags, ['\\Flagged']);
  t.equal((await a.mail.folder(ID, 'FromB')).info.total, 1);
});

t.test('flag changes written in place (the file keeps its size) are seen by the other process', async (t) => {
  const a = await mailHarness(t);
  await a.addUser(ID);
  const b = await mailHarness(t, a.root);
  for (let i = 1; i <= 3; i++) await a.mail.append(ID, 'INBOX', { data: MSG(i) });
  for (let i = 0; i < 6; i++) {
    const [me, other] = i % 2 ? [b, a] : [a, b];
    await me.mail.setFlags(ID, 'INBOX', [1 + (i % 3)], i < 3 ? 'add' : 'remove', [`k${i % 3}`]);
    // the other store's next write starts from what this one wrote
    await other.mail.setFlags(ID, 'INBOX', [3], i % 2 ? 'add' : 'remove', ['\\Seen']);
  }
  // `a` wrote last, so it has read every line `b` wrote in place before that
  const live = await a.mail.folder(ID, 'INBOX');
  t.same([1, 2, 3].map((u) => live.byUid(u)!.flags), [[], [], ['\\Seen']], 'every change seen, in order');
  const modseq = live.info.highestModseq;
  await a.restart();
  const v = await a.mail.folder(ID, 'INBOX');
  t.same([1, 2, 3].map((u) => v.byUid(u)!.flags), [[], [], ['\\Seen']], 'and read back after a restart');
  t.equal(v.info.highestModseq, modseq, 'no line lost or overwritten');
});
