import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import type { FetchQueryObject } from 'imapflow';
import { flow, got } from '../../helpers/imapflow.js';
import { sampleMessage } from '../../helpers/imap.js';

const multipart = [
  'From: Bob <bob@example.org>',
  'To: alice@example.com',
  'Subject: =?UTF-8?B?R3LDvMOfZQ==?=',
  'Message-ID: <mp1@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9 needle',
  '--b1',
  'Content-Type: application/octet-stream; name="a.bin"',
  'Content-Disposition: attachment; filename="a.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAwQ=',
  '--b1--',
  '',
].join('\r\n');

t.test('folders, append, fetch, store, search, copy, move, expunge with imapflow', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await flow(t, s.ports.imap!, 'alice@example.com', 'pw');

  const boxes = await c.list();
  t.same(boxes.map((b) => b.path).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
  t.equal(boxes.find((b) => b.path === 'Sent')?.specialUse, '\\Sent');

  await c.mailboxCreate('Work/Projects');
  await c.mailboxRename('Work/Projects', 'Work/Done');
  const after = (await c.list()).map((b) => b.path);
  t.ok(after.includes('Work/Done') && !after.includes('Work/Projects'));
  await c.mailboxDelete('Work/Done');

  for (let i = 1; i <= 3; i++) await c.append('INBOX', sampleMessage(i), i === 2 ? ['\\Seen'] : []);
  const mp = await c.append('INBOX', multipart, [], new Date('2024-02-01T10:00:00Z'));
  t.ok(mp && mp.uid === 4, 'APPENDUID');
  const st = got(await c.status('INBOX', { messages: true, unseen: true, uidNext: true }));
  t.same([st.messages, st.unseen, st.uidNext], [4, 3, 5]);

  const lock = await c.getMailboxLock('INBOX');
  try {
    const msgs = [];
    for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, size: true, bodyStructure: true, internalDate: true })) msgs.push(m);
    t.equal(msgs.length, 4);
    t.equal(msgs[0]!.envelope!.subject, 'Test message 1');
    t.equal(msgs[0]!.envelope!.from![0]!.address, 'sender1@example.org');
    t.equal(msgs[3]!.envelope!.subject, 'Grüße');
    t.equal(msgs[3]!.bodyStructure!.childNodes!.length, 2);
    t.equal(msgs[3]!.bodyStructure!.childNodes![1]!.dispositionParameters?.filename, 'a.bin');
    t.equal(new Date(msgs[3]!.internalDate!).toISOString(), '2024-02-01T10:00:00.000Z');

    const part = got(await c.fetchOne('4', { bodyParts: ['1', '2', '1.mime'], binary: false } as FetchQueryObject, { uid: true }));
    t.equal(part.bodyParts!.get('1')!.toString(), 'caf=C3=A9 needle');
    t.match(part.bodyParts!.get('1.mime')!.toString(), /quoted-printable/);
    const bin = await c.download('4', '2', { uid: true });
    const chunks: Buffer[] = [];
    for await (const ch of got(bin.content)) chunks.push(ch as Buffer);
    t.same([...Buffer.concat(chunks)], [0, 1, 2, 3, 4], 'BINARY-decoded attachment');

    const head = got(await c.fetchOne('1', { headers: ['subject'], source: { start: 0, maxLength: 10 } }));
    t.equal(head.headers!.toString().trim(), 'Subject: Test message 1');
    t.equal(head.source!.length, 10, 'partial fetch');
    const flagsAfter = got(await c.fetchOne('1', { flags: true }));
    t.notOk(flagsAfter.flags!.has('\\Seen'), 'PEEK does not set \\Seen');
    await c.fetchOne('1', { bodyParts: ['TEXT'] }).catch(() => null);

    t.same(await c.search({ seen: false }, { uid: true }), [1, 3, 4]);
    t.same(await c.search({ body: 'needle' }, { uid: true }), [4]);
    t.same(await c.search({ subject: 'message 2' }, { uid: true }), [2]);
    t.same(await c.search({ from: 'sender3' }, { uid: true }), [3]);
    t.same(await c.search({ header: { 'message-id': 'msg1@' } }, { uid: true }), [1]);
    t.same(await c.search({ or: [{ uid: '1' }, { uid: '3' }] }, { uid: true }), [1, 3]);
    t.same(await c.search({ larger: 400 }, { uid: true }), [4]);

    await c.messageFlagsAdd('1:2', ['\\Flagged', '$Important']);
    const fl = got(await c.fetchOne('2', { flags: true }));
    t.ok(fl.flags!.has('\\Flagged') && fl.flags!.has('$Important') && fl.flags!.has('\\Seen'));
    await c.messageFlagsRemove('2', ['\\Seen']);
    t.notOk(got(await c.fetchOne('2', { flags: true })).flags!.has('\\Seen'));

    const cp = await c.messageCopy('1:2', 'Archive');
    t.same(cp && [...cp.uidMap!.entries()], [[1, 1], [2, 2]], 'COPYUID');
    const mv = await c.messageMove('3', 'Trash', { uid: true });
    t.same(mv && [...mv.uidMap!.entries()], [[3, 1]]);
    t.equal(c.mailbox && (c.mailbox as { exists: number }).exists, 3);

    await c.messageFlagsAdd('1', ['\\Deleted']);
    await c.messageDelete('2', { uid: true });
    t.same(await c.search({ all: true }, { uid: true }), [1, 4], 'UID EXPUNGE removes only the named message');
    t.same(await c.search({ deleted: true }, { uid: true }), [1]);
  } finally {
    lock.release();
  }
  const arch = got(await c.status('Archive', { messages: true }));
  t.equal(arch.messages, 2, JSON.stringify(arch));
  const q = await c.getQuota('INBOX');
  t.ok(q && q.storage && typeof q.storage.usage === 'number', JSON.stringify(q));
});
