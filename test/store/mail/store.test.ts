import t from 'tap';
import { readFileSync } from 'node:fs';
import { mailHarness } from '../../helpers/mail.js';

const MSG = (subject: string, body = 'hello') =>
  Buffer.from(`From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${subject}@x>\r\n\r\n${body}\r\n`);

t.test('default folders, append, flags, expunge, copy, move', async (t) => {
  const s = await mailHarness(t);
  await s.addUser('alice@example.com');
  const mail = s.mail;
  const id = 'alice@example.com';
  const folders = await mail.listFolders(id);
  t.same(folders.map((f) => f.name), ['INBOX', 'Drafts', 'Sent', 'Trash', 'Junk', 'Archive']);
  t.same(folders.map((f) => f.specialUse), [null, '\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive']);
  const a = await mail.append(id, 'INBOX', { data: MSG('one') }, { flags: ['\\seen', 'Work'] });
  const b = await mail.append(id, 'inbox', { data: MSG('two') });
  t.equal(a.uid, 1);
  t.equal(b.uid, 2);
  t.ok(b.modseq > a.modseq);
  const view = await mail.folder(id, 'INBOX');
  t.equal(view.info.total, 2);
  t.equal(view.info.unread, 1);
  t.same(view.byUid(1)!.flags, ['\\Seen', 'Work']);
  t.same(readFileSync(mail.messageFile(id, 'INBOX', 1)), MSG('one'));
  const sum = await mail.summary(id, 'INBOX', 2);
  t.equal(sum.envelope.subject, 'two');
  t.equal(sum.preview, 'hello');
  const r = await mail.setFlags(id, 'INBOX', [1, 2], 'add', ['\\Flagged']);
  t.equal(r.changed.length, 2);
  t.equal(view.info.unread, 1, 'view updated in place');
  const r2 = await mail.setFlags(id, 'INBOX', [1, 2], 'add', ['\\Seen'], { unchangedSince: r.changed[0]!.modseq });
  t.same(r2.modifiedFailed, [2]);
  t.equal(view.info.unread, 1);
  await t.rejects(mail.setFlags(id, 'INBOX', [1], 'add', ['\\Bogus']), { name: 'ValidationError' });
  await t.rejects(mail.setFlags(id, 'INBOX', [1], 'add', ['bad word']), { name: 'ValidationError' });
  const c = await mail.copy(id, 'INBOX', [1, 2, 99], 'Archive');
  t.same(c.pairs, [[1, 1], [2, 2]]);
  const m = await mail.move(id, 'INBOX', [1], 'Trash');
  t.same(m.pairs, [[1, 1]]);
  t.equal(view.info.total, 1);
  t.same(view.expungedSince(0), [1]);
  t.same((await mail.folder(id, 'Trash')).byUid(1)!.flags.sort(), ['Work', '\\Flagged', '\\Seen'].sort());
  t.same(await mail.expunge(id, 'INBOX', [2, 3]), [2]);
  t.equal(view.info.total, 0);
  await t.rejects(mail.folder(id, 'Nope'), { name: 'NotFoundError' });
  const q = await mail.quota(id);
  t.equal(q.used, MSG('one').length * 2 + MSG('two').length);
  t.equal(q.limit, 1024 * 1024 * 1024);
});

t.test('folders: nested create, rename with messages, delete rules', async (t) => {
  const s = await mailHarness(t);
  await s.addUser('alice@example.com');
  const mail = s.mail;
  const id = 'alice@example.com';
  const info = await mail.createFolder(id, 'Projects/2024/Q1');
  t.equal(info.name, 'Projects/2024/Q1');
  t.ok((await mail.listFolders(id)).some((f) => f.name === 'Projects/2024'));
  await t.rejects(mail.createFolder(id, 'Projects'), { name: 'ConflictError' });
  await t.rejects(mail.createFolder(id, 'a//b'), { name: 'ValidationError' });
  await t.rejects(mail.createFolder(id, 'a/'), { name: 'ValidationError' });
  await mail.append(id, 'Projects/2024', { data: MSG('p') });
  const before = await mail.folder(id, 'Projects/2024');
  const uidValidity = before.info.uidValidity;
  await mail.renameFolder(id, 'Projects', 'Work/Old');
  const names = (await mail.listFolders(id)).map((f) => f.name);
  t.ok(names.includes('Work/Old/2024/Q1'));
  t.notOk(names.includes('Projects'));
  const after = await mail.folder(id, 'Work/Old/2024');
  t.equal(after.info.total, 1);
  t.equal(after.info.uidValidity, uidValidity, 'rename keeps UIDVALIDITY');
  t.same(readFileSync(mail.messageFile(id, 'Work/Old/2024', 1)), MSG('p'));
  await mail.createFolder(id, 'Z/2024');
  await mail.createFolder(id, 'Y/2024');
  await mail.deleteFolder(id, 'Z');
  await t.rejects(mail.renameFolder(id, 'Y', 'Z'), { name: 'ConflictError' }, 'a child would clash');
  t.ok((await mail.listFolders(id)).some((f) => f.name === 'Y/2024'), 'nothing renamed');
  await t.rejects(mail.renameFolder(id, 'Sent', 'X'), { name: 'ValidationError' });
  await t.rejects(mail.renameFolder(id, 'INBOX', 'X'), { name: 'ValidationError' });
  await t.rejects(mail.deleteFolder(id, 'Trash'), { name: 'ValidationError' });
  await t.rejects(mail.deleteFolder(id, 'Nope'), { name: 'NotFoundError' });
  await mail.deleteFolder(id, 'Work/Old/2024');
  await t.rejects(mail.folder(id, 'Work/Old/2024'), { name: 'NotFoundError' });
  const re = await mail.createFolder(id, 'Work/Old/2024');
  t.ok(re.uidValidity > uidValidity, 'a re-created folder gets a new UIDVALIDITY');
  t.equal(re.total, 0);
});

t.test('quota refusal writes nothing', async (t) => {
  const s = await mailHarness(t);
  await s.addUser('q@example.com', { quota_mb: 1 });
  const mail = s.mail;
  const big = Buffer.concat([MSG('big', 'x'.repeat(700 * 1024))]);
  await mail.append('q@example.com', 'INBOX', { data: big });
  await t.rejects(mail.append('q@example.com', 'INBOX', { data: big }), { name: 'QuotaError' });
  await t.rejects(mail.copy('q@example.com', 'INBOX', [1], 'Archive'), { name: 'QuotaError' });
  t.equal((await mail.folder('q@example.com', 'INBOX')).info.total, 1);
  t.equal((await mail.folder('q@example.com', 'Archive')).info.total, 0);
  await s.quota.addDrive('q@example.com', 400 * 1024);
  await t.rejects(mail.append('q@example.com', 'Drafts', { data: MSG('small', 'y'.repeat(10_000)) }), { name: 'QuotaError' });
});

t.test('50 concurrent appenders and flag changers on one folder', async (t) => {
  const s = await mailHarness(t);
  await s.addUser('c@example.com');
  const mail = s.mail;
  const id = 'c@example.com';
  const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const uids: number[] = [];
    for (let k = 0; k < 4; k++) {
      const r = await mail.append(id, 'INBOX', { data: MSG(`m${i}-${k}`) });
      uids.push(r.uid);
      await mail.setFlags(id, 'INBOX', [r.uid], 'add', ['\\Seen', `k${i}`]);
    }
    return uids;
  }));
  const all = results.flat();
  t.equal(new Set(all).size, 200, 'uids unique');
  for (const uids of results) t.same(uids, [...uids].sort((a, b) => a - b), 'increasing per client');
  const view = await mail.folder(id, 'INBOX');
  t.equal(view.info.total, 200);
  t.equal(view.info.unread, 0);
  t.same(view.messages.map((m) => m.uid), [...all].sort((a, b) => a - b));
});

t.test('a deleted and re-created user starts empty', async (t) => {
  const s = await mailHarness(t);
  await s.addUser('d@example.com');
  await s.mail.append('d@example.com', 'INBOX', { data: MSG('old') });
  t.ok((await s.mail.quota('d@example.com')).used > 0);
  await s.accounts.remove('d', 'example.com');
  await s.addUser('d@example.com');
  t.equal((await s.mail.folder('d@example.com', 'INBOX')).info.total, 0);
  t.equal((await s.mail.quota('d@example.com')).used, 0);
});

t.test('change events follow each durable write, in order', async (t) => {
  const s = await mailHarness(t);
  await s.addUser('e@example.com');
  const id = 'e@example.com';
  const seen: string[] = [];
  s.changes.subscribe(id, (c) => {
    seen.push(c.type === 'message-added' ? `add ${c.folder} ${c.uid}`
      : c.type === 'flags-changed' ? `flags ${c.folder} ${c.uid} ${c.flags.join(',')}`
      : c.type === 'expunged' ? `expunge ${c.folder} ${c.uids.join(',')}`
      : c.type === 'folder-renamed' ? `rename ${c.folder} ${c.to}`
      : `${c.type} ${'folder' in c ? c.folder : ''}`);
  });
  await s.mail.append(id, 'INBOX', { data: MSG('1') });
  await s.mail.setFlags(id, 'INBOX', [1], 'add', ['\\Seen']);
  await s.mail.createFolder(id, 'A/B');
  await s.mail.move(id, 'INBOX', [1], 'A/B');
  await s.mail.renameFolder(id, 'A', 'C');
  await s.mail.deleteFolder(id, 'C/B');
  t.same(seen, [
    'add INBOX 1', 'flags INBOX 1 \\Seen', 'folder-created A', 'folder-created A/B',
    'add A/B 1', 'expunge INBOX 1', 'rename A C', 'rename A/B C/B', 'folder-deleted C/B',
  ]);
});

t.test('bad user ids are refused before touching the disk', async (t) => {
  const s = await mailHarness(t);
  for (const id of ['../x@example.com', 'a@../../etc', 'A@example.com', 'noat', '.hidden@example.com']) {
    await t.rejects(s.mail.listFolders(id), { name: 'NotFoundError' }, id);
  }
});
