import t from 'tap';
import { randomBytes } from 'node:crypto';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, sampleMessage } from '../../helpers/imap.js';

t.test('bad input gets BAD and keeps the session', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const { c, greeting } = await rawConnect(s.ports.imap!);
  t.match(greeting, /^\* OK \[CAPABILITY IMAP4rev1 .*AUTH=PLAIN/);
  t.notMatch(greeting, /COMPRESS/);
  t.match((await c.cmd('SELECT INBOX')).tagged, /BAD Log in first/);
  t.match((await c.cmd('LOGIN alice@example.com pw')).tagged, /OK \[CAPABILITY/);
  const msg = sampleMessage(1);
  t.match((await c.cmd(`APPEND INBOX {${msg.length}+}\r\n${msg}`.replace('+}\r\n', '+}\r\n'))).tagged, /OK \[APPENDUID \d+ 1\]/);
  t.match((await c.cmd('SELECT INBOX')).tagged, /OK \[READ-WRITE\]/);
  const rows: [string, RegExp][] = [
    ['FETCH 1 (FLAGS', /BAD/],
    ['FETCH 0 FLAGS', /BAD/],
    ['FETCH 5 FLAGS', /BAD/],
    ['FETCH 1 BODY[1.]', /BAD/],
    ['FETCH 1 FOO', /BAD/],
    ['STORE 1 +FLAGS (\\Bogus)', /BAD/],
    ['STORE 1 FLAGZ (\\Seen)', /BAD/],
    ['SEARCH NOSUCHKEY', /BAD/],
    ['SEARCH CHARSET KOI8-R ALL', /NO \[BADCHARSET/],
    ['LOGIN a b', /BAD/],
    ['FROB', /BAD Unknown command/],
    ['SELECT', /BAD Missing/],
    ['LIST "" "*" extra', /BAD/],
    ['UID FETCH 1:* (FLAGS) (CHANGEDSINCE x)', /BAD/],
    ['ENABLE', /BAD/],
    ['ID (a)', /BAD/],
    ['CREATE "a//b"', /NO/],
    ['AUTHENTICATE PLAIN', /BAD Already authenticated/],
  ];
  for (const [cmd, want] of rows) t.match((await c.cmd(cmd)).tagged, want, cmd);
  const ok = await c.cmd('FETCH 1 (UID FLAGS)');
  t.match((await c.cmd('SELECT "Nope"')).tagged, /NO \[NONEXISTENT\]/);
  t.match((await c.cmd('FETCH 1 (UID FLAGS)')).tagged, /BAD Select a mailbox first/, 'a failed SELECT leaves no mailbox selected');
  await c.cmd('SELECT INBOX');
  // \Recent: the first session to select INBOX since the message arrived (RFC 3501 2.3.2).
  t.match(ok.untagged[0], /^\* 1 FETCH \(UID 1 FLAGS \(\\Recent\)\)/, 'still selected after the bad commands');
  t.match((await c.cmd('LIST "" ""')).untagged[0], /^\* LIST \(\\Noselect\) "\/" ""/, 'empty root for iOS');

  c.write(`L1 LOGIN ${'x'.repeat(70_000)}\r\n`);
  t.match(await c.waitFor(/\r\n/), /BAD Command line too long/);
  c.write('L2 APPEND INBOX {999999999}\r\n');
  t.match(await c.waitFor(/\r\n/), /L2 BAD \[TOOBIG\]/);
  c.write('L3 NOOP\r\nL4 NOOP\r\n\r\nL5 CAPABILITY\r\n');
  t.match(await c.waitFor(/L5 OK[^\r]*\r\n/), /L3 OK[\s\S]*L4 OK[\s\S]*CAPABILITY/, 'pipelined commands in order');
  for (let i = 0; i < 30; i++) {
    c.write(Buffer.concat([randomBytes(200 + i * 13).map((b) => (b === 10 || b === 13 || b === 123 ? 65 : b)), Buffer.from('\r\n')]));
  }
  const after = await c.cmd('NOOP', 'Z9');
  t.match(after.tagged, /^Z9 OK/, 'alive after random garbage');
  t.match((await c.cmd('FETCH 1 UID')).untagged[0], /UID 1/);

  t.match((await c.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)')).tagged, /OK/);
  const ex = await c.cmd('EXPUNGE');
  t.same(ex.untagged, ['* 1 EXPUNGE'], 'no * 0 EXISTS after the folder empties');
  t.same((await c.cmd('NOOP')).untagged, []);
  c.close();
});

t.test('auth failures lock the address out (shared lockout)', async (t) => {
  const s = await startTestServer(t, { rate_limit: { whitelist: [], auth_failures_before_lockout: 3 } });
  await s.addUser('bob@example.com', 'pw');
  const { c } = await rawConnect(s.ports.imap!);
  for (let i = 0; i < 3; i++) t.match((await c.cmd('LOGIN bob@example.com nope')).tagged, /NO \[AUTHENTICATIONFAILED\]/);
  t.match((await c.cmd('LOGIN bob@example.com pw')).tagged, /NO \[UNAVAILABLE\]/, 'locked even with the right password');
  c.close();
  const login = await fetch(`${s.url}/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'bob@example.com', password: 'pw' }), headers: { 'content-type': 'application/json' } });
  t.equal(login.status, 429, 'HTTP sees the same lockout');
});
