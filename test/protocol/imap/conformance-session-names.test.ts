/**
 * Mailbox names and hierarchy commands, conformance found by differential testing against Dovecot:
 * modified UTF-7 (RFC 3501 5.1.3), RENAME (6.3.5). Raw sockets; rows of command and expected answer.
 */
import t, { type Test } from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, type RawImap } from '../../helpers/imap.js';

async function session(t: Test, port: number): Promise<RawImap> {
  const { c } = await rawConnect(port);
  t.teardown(() => c.close());
  t.match((await c.cmd('LOGIN alice@example.com pw')).tagged, /OK/);
  return c;
}

async function login(t: Test): Promise<RawImap & { port: number }> {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  return Object.assign(await session(t, s.ports.imap!), { port: s.ports.imap! });
}

t.test('names that are not canonical modified UTF-7 are BAD and create nothing; the selected folder stays', async (t) => {
  const c = await login(t);
  t.match((await c.cmd('SELECT INBOX')).tagged, / OK /);
  for (const name of ['"\u00e4"', '"a&AGE-b"', '"&AOQ-&AOQ-"', '"&AOR-"', '"&AOQ"']) {
    const r = await c.cmd(Buffer.from(`CREATE ${name}`, 'utf8').toString('latin1'));
    t.match(r.tagged, / BAD /, name);
  }
  const names = (await c.cmd('LIST "" *')).untagged.map((l) => l.replace(/^.*"\/" /, ''));
  t.same(names, ['INBOX', 'Archive', 'Drafts', 'Junk', 'Sent', 'Trash'], 'nothing was created');
  t.match((await c.cmd('CREATE "&AOQ-bc"')).tagged, / OK /, 'the canonical spelling works');
  t.ok((await c.cmd('LIST "" "&AOQ-*"')).untagged.includes('* LIST (\\HasNoChildren) "/" &AOQ-bc'));
  t.match((await c.cmd('FETCH 1:* FLAGS')).tagged, / OK /, 'still selected');
});

t.test('RENAME INBOX moves its messages (flags kept) into the new folder and leaves INBOX empty (RFC 3501 6.3.5)', async (t) => {
  const c = await login(t);
  const msg = (i: number): string => `Subject: m${i}\r\nMessage-ID: <m${i}@x>\r\n\r\nbody ${i}\r\n`;
  for (let i = 1; i <= 3; i++) {
    const body = msg(i);
    t.match((await c.cmd(`APPEND INBOX ${i === 2 ? '(\\Seen \\Flagged) ' : ''}{${body.length}+}\r\n${body}`)).tagged, / OK /);
  }
  t.match((await c.cmd('CREATE INBOX/kid')).tagged, / OK /);
  const watcher = await session(t, c.port);
  t.match((await watcher.cmd('SELECT INBOX')).tagged, / OK /);

  t.match((await c.cmd('RENAME INBOX Old/2024')).tagged, / OK /);
  t.same((await c.cmd('STATUS INBOX (MESSAGES UIDNEXT)')).untagged, ['* STATUS INBOX (MESSAGES 0 UIDNEXT 4)'], 'INBOX empty, uids not reused');
  t.same((await c.cmd('STATUS Old/2024 (MESSAGES UNSEEN)')).untagged, ['* STATUS Old/2024 (MESSAGES 3 UNSEEN 2)']);
  t.match((await c.cmd('EXAMINE Old/2024')).tagged, / OK /);
  const f = await c.cmd('FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  const flags = f.untagged.filter((l) => / FETCH /.test(l)).map((l) => (/FLAGS \(([^)]*)\)/.exec(l)?.[1] ?? '?').split(' ').sort().join(' '));
  // Kept, and \Recent: new to Old/2024, whose first session this is (RFC 3501 2.3.2; EXAMINE sees it).
  t.same(flags, ['\\Recent', '\\Flagged \\Recent \\Seen', '\\Recent'], 'flags kept');
  t.match(f.raw, /Subject: m1[\s\S]*Subject: m2[\s\S]*Subject: m3/, 'messages in order');
  t.ok((await c.cmd('LIST "" INBOX*')).untagged.includes('* LIST (\\HasNoChildren) "/" INBOX/kid'), 'INBOX children stay');
  const n = await watcher.cmd('NOOP');
  t.equal(n.untagged.filter((l) => /^\* \d EXPUNGE$/.test(l)).length, 3, 'a session on INBOX sees the messages go');

  t.match((await c.cmd('RENAME INBOX Old/2024')).tagged, / NO \[ALREADYEXISTS\]/, 'target exists');
  t.match((await c.cmd('RENAME INBOX Empty')).tagged, / OK /, 'an empty INBOX renames too');
  t.same((await c.cmd('STATUS Empty (MESSAGES)')).untagged, ['* STATUS Empty (MESSAGES 0)']);
});

t.test('RENAME onto an existing name is NO [ALREADYEXISTS], the special-use folders included', async (t) => {
  const c = await login(t);
  t.match((await c.cmd('CREATE x')).tagged, / OK /);
  t.match((await c.cmd('CREATE y')).tagged, / OK /);
  for (const to of ['Sent', 'y', 'inbox', 'Trash']) {
    t.match((await c.cmd(`RENAME x ${to}`)).tagged, / NO \[ALREADYEXISTS\]/, to);
  }
  t.match((await c.cmd('RENAME nonexist z')).tagged, / NO \[NONEXISTENT\]/);
  t.match((await c.cmd('RENAME x z')).tagged, / OK /);
});

t.test('CREATE (USE (...)) is advertised as CREATE-SPECIAL-USE (RFC 6154 3); an unsupported use is NO [USEATTR], nothing made', async (t) => {
  const c = await login(t);
  t.match((await c.cmd('CAPABILITY')).untagged[0]!, / CREATE-SPECIAL-USE /);
  t.match((await c.cmd('CREATE Old-Sent (USE (\\Sent))')).tagged, / OK /);
  t.ok((await c.cmd('LIST "" Old-Sent RETURN (SPECIAL-USE)')).untagged.includes('* LIST (\\HasNoChildren \\Sent) "/" Old-Sent'));
  for (const use of ['\\Flagged', '\\All', '\\Bogus']) {
    t.match((await c.cmd(`CREATE x (USE (${use}))`)).tagged, / NO \[USEATTR\]/, use);
  }
  t.same((await c.cmd('LIST "" x')).untagged, [], 'nothing created');
});

t.test('STATUS answers with the mailbox name as the client spelled it (INBOX in any case)', async (t) => {
  const c = await login(t);
  t.match((await c.cmd('CREATE Inbox/Kid')).tagged, / OK /);
  t.match((await c.cmd('CREATE "Entw&APw-rfe"')).tagged, / OK /);
  const rows: [string, string][] = [
    ['STATUS inbox (MESSAGES)', '* STATUS inbox (MESSAGES 0)'],
    ['STATUS INBOX (MESSAGES)', '* STATUS INBOX (MESSAGES 0)'],
    ['STATUS "inbox/Kid" (UIDNEXT)', '* STATUS inbox/Kid (UIDNEXT 1)'],
    ['STATUS "Entw&APw-rfe" (MESSAGES UNSEEN)', '* STATUS Entw&APw-rfe (MESSAGES 0 UNSEEN 0)'],
  ];
  for (const [cmd, want] of rows) t.same((await c.cmd(cmd)).untagged, [want], cmd);
  t.ok((await c.cmd('LIST "" inbox RETURN (STATUS (MESSAGES))')).untagged.includes('* STATUS INBOX (MESSAGES 0)'), 'LIST-STATUS names match the LIST lines');
});

t.test('DELETE of a selected folder: the deleting session is told [CLOSED], other sessions on it get BYE', async (t) => {
  const c = await login(t);
  for (const n of ['box', 'box2', 'box3']) t.match((await c.cmd(`CREATE ${n}`)).tagged, / OK /, n);

  t.match((await c.cmd('SELECT Sent')).tagged, / OK /);
  t.match((await c.cmd('DELETE Sent')).tagged, / NO \[CANNOT\]/, 'special-use folders stay');
  t.match((await c.cmd('FETCH 1:* FLAGS')).tagged, / OK /, 'a refused DELETE leaves the selection alone');

  t.match((await c.cmd('SELECT box')).tagged, / OK /);
  const d = await c.cmd('DELETE box');
  t.match(d.tagged, / OK /);
  t.same(d.untagged, ['* OK [CLOSED] Selected mailbox deleted']);
  t.match((await c.cmd('FETCH 1:* FLAGS')).tagged, / BAD /, 'no longer selected');

  const other = await session(t, c.port);
  t.match((await other.cmd('SELECT box2')).tagged, / OK /);
  const idler = await session(t, c.port);
  t.match((await idler.cmd('EXAMINE box3')).tagged, / OK /);
  idler.write('I1 IDLE\r\n');
  await idler.waitFor(/\+ [^\r\n]*\r\n/);

  t.match((await c.cmd('DELETE box2')).tagged, / OK /);
  other.write('N1 NOOP\r\n');
  t.match(await other.waitFor(/\* BYE [^\r\n]*\r\n/), /Selected mailbox was deleted/, 'the next command gets BYE');
  await new Promise<void>((r) => (other.closed ? r() : other.socket.once('close', () => r())));
  t.ok(other.closed, 'and the connection closes');

  t.match((await c.cmd('DELETE box3')).tagged, / OK /);
  t.match(await idler.waitFor(/\* BYE [^\r\n]*\r\n/), /Selected mailbox was deleted/, 'an IDLE session is told at once');
  await new Promise<void>((r) => (idler.closed ? r() : idler.socket.once('close', () => r())));
  t.ok(idler.closed);
  t.match((await c.cmd('NOOP')).tagged, / OK /, 'the deleting session goes on');
});

t.test('UNSUBSCRIBE of a name that is no folder succeeds (Thunderbird unsubscribes after DELETE); SUBSCRIBE of one is OK (RFC 3501 6.3.6)', async (t) => {
  const c = await login(t);
  t.match((await c.cmd('CREATE gone')).tagged, / OK /);
  t.match((await c.cmd('DELETE gone')).tagged, / OK /);
  t.match((await c.cmd('UNSUBSCRIBE gone')).tagged, / OK /);
  t.match((await c.cmd('UNSUBSCRIBE never')).tagged, / OK /);
  t.same((await c.cmd('LSUB "" never')).untagged, []);
  t.match((await c.cmd('SUBSCRIBE never')).tagged, / OK /, 'a name that is no folder can be subscribed (Dovecot too)');
  t.same((await c.cmd('LSUB "" never')).untagged, ['* LSUB (\\Noselect) "/" never']);
  t.match((await c.cmd('UNSUBSCRIBE "&AOQ"')).tagged, / BAD /, 'a bad name is still BAD');
});
