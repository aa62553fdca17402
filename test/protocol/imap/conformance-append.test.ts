/**
 * Found by sending rmail the inputs sent to Dovecot. Zero-length literals (RFC 3501 4.3: `{0}` is
 * a literal like any other): the session answers the command and carries on; a zero-byte APPEND
 * stores nothing and says NO; an empty password literal is a failed login, not a dropped
 * connection. MOVE into the selected folder itself (RFC 6851): the messages get new uids (COPYUID
 * names them) and the originals are expunged; none is lost or announced gone while still there.
 * A message APPENDed with bare LF line ends is stored with CRLF (RFC 3501 6.3.11 wants an RFC 5322
 * message; Dovecot serves such a message with CRLF too), in memory and streamed to a file alike.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rawConnect, rawLogin } from '../../helpers/imap.js';

const USER = 'alice@example.com';

t.test('zero-length literals do not end the session', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  const { c } = await rawConnect(s.ports.imap!);
  t.teardown(() => c.close());
  t.match((await c.cmd(`LOGIN ${USER} {0}\r\n`)).tagged, /^\S+ NO /, 'LOGIN with an empty password literal: NO');
  t.match((await c.cmd(`LOGIN {${USER.length}}\r\n${USER} secret`)).tagged, /^\S+ OK /, 'then a good LOGIN');
  const before = (await c.cmd('STATUS INBOX (MESSAGES)')).untagged;
  t.match((await c.cmd('APPEND INBOX {0}\r\n')).tagged, /^\S+ NO /, 'APPEND of zero bytes: NO');
  t.match((await c.cmd('APPEND INBOX {0+}\r\n')).tagged, /^\S+ NO /, 'the same with LITERAL+');
  t.same((await c.cmd('STATUS INBOX (MESSAGES)')).untagged, before, 'nothing was stored');
  t.match((await c.cmd('SELECT {5}\r\nINBOX')).tagged, /^\S+ OK /, 'the session carries on');
  t.match((await c.cmd('SEARCH SUBJECT {0}\r\n')).tagged, /^\S+ OK /, 'an empty search string literal');
});

t.test('MOVE into the selected folder itself gives the messages new uids and loses none', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  for (let i = 1; i <= 3; i++) {
    await s.services.mail.append(USER, 'INBOX', { data: Buffer.from(`From: a@example.org\r\nSubject: m${i}\r\n\r\nbody ${i}\r\n`) }, { flags: [] });
  }
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  const r = await c.cmd('MOVE 1 inbox');
  t.match(r.tagged, /^\S+ OK /);
  t.ok(r.untagged.includes('* OK [COPYUID ' + /UIDVALIDITY (\d+)/.exec((await c.cmd('STATUS INBOX (UIDVALIDITY)')).untagged[0]!)![1] + ' 1 4] Moved'), 'COPYUID names a new uid');
  t.ok(r.untagged.includes('* 1 EXPUNGE'), 'the original is expunged');
  const uids = await c.cmd('UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  t.same(uids.untagged.map((l) => /UID (\d+)/.exec(l)?.[1]).filter(Boolean), ['2', '3', '4'], 'uids 2, 3 and the moved one as 4');
  t.match((await c.cmd('STATUS INBOX (MESSAGES)')).untagged, ['* STATUS INBOX (MESSAGES 3)'], 'no message lost, none doubled');
  const fresh = await rawConnect(s.ports.imap!);
  t.teardown(() => fresh.c.close());
  await fresh.c.cmd(`LOGIN ${USER} secret`);
  t.ok((await fresh.c.cmd('SELECT INBOX')).untagged.includes('* 3 EXISTS'), 'another session agrees');
});

t.test('APPEND with bare LF line ends stores CRLF', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  const long = 'a line of text to make the message big\n'.repeat(3000);
  const rows: { name: string; sent: string; stored: string }[] = [
    { name: 'bare LF', sent: 'From: a@example.org\nSubject: lf\n\nbody\nline 2\n', stored: 'From: a@example.org\r\nSubject: lf\r\n\r\nbody\r\nline 2\r\n' },
    { name: 'CRLF as it is', sent: 'From: a@example.org\r\nSubject: crlf\r\n\r\nbody\r\n', stored: 'From: a@example.org\r\nSubject: crlf\r\n\r\nbody\r\n' },
    { name: 'mixed', sent: 'From: a@example.org\r\nSubject: mixed\n\r\nx\ny\r\n\n', stored: 'From: a@example.org\r\nSubject: mixed\r\n\r\nx\r\ny\r\n\r\n' },
    { name: 'bare LF, streamed to a file', sent: `From: a@example.org\nSubject: big\n\n${long}`, stored: `From: a@example.org\r\nSubject: big\r\n\r\n${long.replace(/\n/g, '\r\n')}` },
    { name: 'CRLF, streamed to a file', sent: `From: a@example.org\r\nSubject: big\r\n\r\n${long.replace(/\n/g, '\r\n')}`, stored: `From: a@example.org\r\nSubject: big\r\n\r\n${long.replace(/\n/g, '\r\n')}` },
  ];
  for (const row of rows) t.match((await c.cmd(`APPEND INBOX {${row.sent.length}}\r\n${row.sent}`)).tagged, /^\S+ OK /, `APPEND ${row.name}`);
  await c.cmd('SELECT INBOX');
  for (const [i, row] of rows.entries()) {
    const r = await c.cmd(`FETCH ${i + 1} (RFC822.SIZE BODY.PEEK[])`);
    const size = Number(/RFC822\.SIZE (\d+)/.exec(r.raw)?.[1]);
    const m = /BODY\[\] \{(\d+)\}\r\n/.exec(r.raw)!;
    const body = r.raw.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]));
    t.ok(body === row.stored, `${row.name}: stored with CRLF line ends`);
    t.equal(size, row.stored.length, `${row.name}: RFC822.SIZE counts the CRLFs`);
  }
  t.match((await c.cmd(`APPEND Nope {${rows[3]!.sent.length}}\r\n${rows[3]!.sent}`)).tagged, /NO \[TRYCREATE\]/);
  t.same(readdirSync(join(s.root, 'tmp')).filter((f) => f.startsWith('imap-')), [], 'no temp file left behind');
});
