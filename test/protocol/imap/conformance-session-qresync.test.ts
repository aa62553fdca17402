/**
 * SELECT/EXAMINE with QRESYNC (RFC 7162 3.2.5) and CONDSTORE sessions, conformance found by
 * differential testing against Dovecot. Raw sockets; rows of command and the expected lines.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

t.test('SELECT (QRESYNC ...): VANISHED (EARLIER) and changed FETCHes, limited to the known UIDs', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  for (let i = 1; i <= 5; i++) {
    const m = `Subject: m${i}\r\n\r\nbody\r\n`;
    t.match((await c.cmd(`APPEND INBOX {${m.length}+}\r\n${m}`)).tagged, / OK /);
  }
  t.match((await c.cmd('SELECT INBOX (QRESYNC (1 1))')).tagged, / BAD /, 'QRESYNC parameter before ENABLE QRESYNC');
  t.match((await c.cmd('ENABLE QRESYNC')).tagged, / OK /);
  const sel = await c.cmd('SELECT INBOX');
  const uv = /UIDVALIDITY (\d+)/.exec(sel.raw)![1];
  const ms = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.raw)![1]);
  t.match((await c.cmd('STORE 2 +FLAGS.SILENT (\\Seen)')).tagged, / OK /);
  t.match((await c.cmd('STORE 3 +FLAGS.SILENT (\\Deleted)')).tagged, / OK /);
  t.match((await c.cmd('EXPUNGE')).tagged, / OK /);
  t.match((await c.cmd('STORE 1 +FLAGS.SILENT (\\Flagged)')).tagged, / OK /);
  t.match((await c.cmd('UNSELECT')).tagged, / OK /);

  const resync = (r: { untagged: string[] }): string[] => r.untagged.filter((l) => /VANISHED|FETCH/.test(l)).map((l) => l.replace(/ MODSEQ \(\d+\)/, ''));
  const rows: [string, string[]][] = [
    [`SELECT INBOX (QRESYNC (${uv} ${ms}))`, ['* VANISHED (EARLIER) 3', '* 1 FETCH (UID 1 FLAGS (\\Flagged))', '* 2 FETCH (UID 2 FLAGS (\\Seen))']],
    [`EXAMINE INBOX (QRESYNC (${uv} ${ms} 2:5))`, ['* VANISHED (EARLIER) 3', '* 2 FETCH (UID 2 FLAGS (\\Seen))']],
    [`SELECT INBOX (QRESYNC (${uv} ${ms} 4:5))`, []],
    [`SELECT INBOX (QRESYNC (${uv} ${ms} 1,3 (1:2 1:2)))`, ['* VANISHED (EARLIER) 3', '* 1 FETCH (UID 1 FLAGS (\\Flagged))']],
    [`SELECT INBOX (QRESYNC (${Number(uv) + 1} ${ms}))`, []],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, / OK \[READ-(WRITE|ONLY)\]/, cmd);
    t.same(resync(r), want, cmd);
  }
});

t.test('once CONDSTORE is on, STORE\'s untagged FETCH carries UID and MODSEQ (RFC 7162 3.1.4)', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  for (let i = 1; i <= 2; i++) {
    const m = `Subject: m${i}\r\n\r\nbody\r\n`;
    t.match((await c.cmd(`APPEND INBOX {${m.length}+}\r\n${m}`)).tagged, / OK /);
  }
  t.match((await c.cmd('SELECT INBOX')).tagged, / OK /);
  // \Recent: this session is the first to select INBOX since the APPENDs (RFC 3501 2.3.2).
  t.same((await c.cmd('STORE 1 +FLAGS (\\Seen)')).untagged, ['* 1 FETCH (FLAGS (\\Seen \\Recent))'], 'plain session: as RFC 3501');
  t.match((await c.cmd('SELECT INBOX (CONDSTORE)')).tagged, / OK /);
  const rows: [string, RegExp][] = [
    ['STORE 2 +FLAGS (\\Flagged)', /^\* 2 FETCH \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/],
    ['STORE 2 +FLAGS.SILENT (\\Answered)', /^\* 2 FETCH \(UID 2 MODSEQ \(\d+\)\)$/],
    ['STORE 1:2 (UNCHANGEDSINCE 1) -FLAGS (\\Answered)', /^$/],
    ['UID STORE 1 -FLAGS (\\Seen)', /^\* 1 FETCH \(UID 1 FLAGS \(\) MODSEQ \(\d+\)\)$/],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.untagged.join('\n'), want, cmd);
  }
});
