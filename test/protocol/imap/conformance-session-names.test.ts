/**
 * Mailbox names and hierarchy commands, conformance found by differential testing against Dovecot:
 * modified UTF-7 (RFC 3501 5.1.3), RENAME (6.3.5). Raw sockets; rows of command and expected answer.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, type RawImap } from '../../helpers/imap.js';

async function login(t: Parameters<typeof startTestServer>[0]): Promise<RawImap> {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const { c } = await rawConnect(s.ports.imap!);
  t.teardown(() => c.close());
  t.match((await c.cmd('LOGIN alice@example.com pw')).tagged, /OK/);
  return c;
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
