/**
 * Zero-length literals (RFC 3501 4.3: `{0}` is a literal like any other), found by probing with
 * the inputs sent to Dovecot: the session answers the command and carries on. A zero-byte APPEND
 * stores nothing (there is no message in it) and says NO; an empty password literal is a failed
 * login, not a dropped connection.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect } from '../../helpers/imap.js';

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
