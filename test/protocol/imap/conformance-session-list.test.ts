/**
 * LIST / LSUB conformance found by differential testing against Dovecot (RFC 3501 6.3.4, 6.3.8,
 * 6.3.9; RFC 5258 LIST-EXTENDED). Each row: a command and the exact untagged lines and tagged status.
 */
import t, { type Test } from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, type RawImap, rawLogin } from '../../helpers/imap.js';

async function login(t: Test, user: string): Promise<RawImap> {
  const s = await startTestServer(t);
  await s.addUser(user, 'pw');
  const c = await rawLogin(t, s.ports.imap!, user, 'pw');
  return c;
}

const DEFAULTS = [
  '* LIST (\\HasNoChildren \\Archive) "/" Archive',
  '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
  '* LIST (\\HasNoChildren \\Junk) "/" Junk',
  '* LIST (\\HasNoChildren \\Sent) "/" Sent',
  '* LIST (\\HasNoChildren \\Trash) "/" Trash',
];

t.test('a level above folders that is not a folder is listed \\Noselect (DELETE of a parent keeps its children)', async (t) => {
  const c = await login(t, 'alice@example.com');
  t.match((await c.cmd('CREATE a/b/c')).tagged, /OK/);
  t.match((await c.cmd('DELETE a')).tagged, /OK/);
  const rows: [string, string[]][] = [
    ['LIST "" %', ['* LIST (\\HasNoChildren) "/" INBOX', ...DEFAULTS, '* LIST (\\Noselect \\HasChildren) "/" a']],
    ['LIST "" a*', ['* LIST (\\Noselect \\HasChildren) "/" a', '* LIST (\\HasChildren) "/" a/b', '* LIST (\\HasNoChildren) "/" a/b/c']],
    ['LIST "" a/%', ['* LIST (\\HasChildren) "/" a/b']],
    // SUBSCRIBED selects subscribed names: DELETE kept a's subscription (RFC 3501 6.3.6), so the
    // level is listed, \Noselect as in a plain LIST.
    ['LIST (SUBSCRIBED) "" a*', [
      '* LIST (\\Noselect \\HasChildren \\Subscribed) "/" a', '* LIST (\\HasChildren \\Subscribed) "/" a/b', '* LIST (\\HasNoChildren \\Subscribed) "/" a/b/c',
    ]],
    ['LIST "" a RETURN (STATUS (MESSAGES))', ['* LIST (\\Noselect \\HasChildren) "/" a']],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, / OK /, cmd);
    t.same(r.untagged, want, cmd);
  }
  t.match((await c.cmd('SELECT a')).tagged, / NO /, 'the empty level cannot be selected');
  t.match((await c.cmd('CREATE a')).tagged, / OK /, 'and can be created again');
  t.same((await c.cmd('LIST "" a')).untagged, ['* LIST (\\HasChildren) "/" a']);
});

t.test('LSUB % shows an unsubscribed level above a subscribed folder as \\Noselect (RFC 3501 6.3.9)', async (t) => {
  const c = await login(t, 'alice@example.com');
  t.match((await c.cmd('CREATE p/q/r')).tagged, /OK/);
  t.match((await c.cmd('UNSUBSCRIBE p')).tagged, /OK/);
  t.match((await c.cmd('UNSUBSCRIBE p/q')).tagged, /OK/);
  const rows: [string, string[]][] = [
    ['LSUB "" p', []],
    ['LSUB "" p*', ['* LSUB (\\HasNoChildren) "/" p/q/r']],
    ['LSUB "" p/%', ['* LSUB (\\Noselect) "/" p/q']],
    ['LSUB "" %/%', ['* LSUB (\\Noselect) "/" p/q']],
  ];
  for (const [cmd, want] of rows) t.same((await c.cmd(cmd)).untagged, want, cmd);
  const top = (await c.cmd('LSUB "" %')).untagged;
  t.ok(top.includes('* LSUB (\\Noselect) "/" p'), 'p listed \\Noselect');
});

t.test('RECURSIVEMATCH (RFC 5258 3): CHILDINFO for a parent whose subscribed child the pattern cuts; alone it is BAD', async (t) => {
  const c = await login(t, 'alice@example.com');
  t.match((await c.cmd('CREATE p/q/r')).tagged, /OK/);
  t.match((await c.cmd('UNSUBSCRIBE p')).tagged, /OK/);
  t.match((await c.cmd('UNSUBSCRIBE p/q')).tagged, /OK/);
  const rows: [string, string[]][] = [
    ['LIST (SUBSCRIBED RECURSIVEMATCH) "" p', ['* LIST (\\HasChildren) "/" p (CHILDINFO ("SUBSCRIBED"))']],
    ['LIST (SUBSCRIBED RECURSIVEMATCH) "" p/%', ['* LIST (\\HasChildren) "/" p/q (CHILDINFO ("SUBSCRIBED"))']],
    ['LIST (SUBSCRIBED RECURSIVEMATCH) "" p*', ['* LIST (\\HasNoChildren \\Subscribed) "/" p/q/r']],
    ['LIST (SUBSCRIBED) "" p', []],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, / OK /, cmd);
    t.same(r.untagged, want, cmd);
  }
  for (const bad of ['LIST (RECURSIVEMATCH) "" %', 'LIST (RECURSIVEMATCH REMOTE) "" %']) {
    const r = await c.cmd(bad);
    t.match(r.tagged, / BAD /, bad);
    t.same(r.untagged, [], bad);
  }
});

t.test('INBOX matches LIST patterns in any case (RFC 3501 5.1); other names stay case-sensitive', async (t) => {
  const c = await login(t, 'alice@example.com');
  for (const n of ['INBOX/child', 'inbound', 'Inbound']) t.match((await c.cmd(`CREATE ${n}`)).tagged, /OK/, n);
  const rows: [string, string[]][] = [
    ['LIST "" inbox*', ['* LIST (\\HasChildren) "/" INBOX', '* LIST (\\HasNoChildren) "/" INBOX/child']],
    ['LIST "" Inbox/%', ['* LIST (\\HasNoChildren) "/" INBOX/child']],
    ['LIST "" iNb%', ['* LIST (\\HasChildren) "/" INBOX']],
    ['LIST "" Inb*d', ['* LIST (\\HasNoChildren) "/" INBOX/child', '* LIST (\\HasNoChildren) "/" Inbound']],
    ['LIST "" inb*d', ['* LIST (\\HasNoChildren) "/" INBOX/child', '* LIST (\\HasNoChildren) "/" inbound']],
    ['LIST inbox/ %', ['* LIST (\\HasNoChildren) "/" INBOX/child']],
  ];
  for (const [cmd, want] of rows) t.same((await c.cmd(cmd)).untagged, want, cmd);
});

t.test('LIST with an empty pattern answers the root of the reference, separator included', async (t) => {
  const c = await login(t, 'alice@example.com');
  const rows: [string, string][] = [
    ['LIST "" ""', '* LIST (\\Noselect) "/" ""'],
    ['LIST "p/q" ""', '* LIST (\\Noselect) "/" p/'],
    ['LIST "p" ""', '* LIST (\\Noselect) "/" p'],
  ];
  for (const [cmd, want] of rows) t.same((await c.cmd(cmd)).untagged, [want], cmd);
});
