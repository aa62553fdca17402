/**
 * CONDSTORE / QRESYNC sessions (RFC 7162), conformance found by differential testing against
 * Dovecot: the untagged FETCH of a FETCH that sets \Seen carries UID and MODSEQ (3.1: "a FETCH/UID
 * FETCH that implicitly set the \Seen flag"), other sessions' flag updates too; EXPUNGE and UID
 * EXPUNGE that removed something answer OK [HIGHESTMODSEQ n] with QRESYNC on (3.2.7, 3.2.9),
 * CLOSE never does (3.2.8). Raw sockets; rows of command and the expected lines.
 */
import t, { type Test } from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

async function setup(t: Test, n: number) {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const open = () => rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  const c = await open();
  for (let i = 1; i <= n; i++) {
    const m = `Subject: m${i}\r\n\r\nbody ${i}\r\n`;
    t.match((await c.cmd(`APPEND INBOX {${m.length}+}\r\n${m}`)).tagged, / OK /);
  }
  return { c, open };
}

/** The untagged lines of a reply with each literal's bytes cut out (`{n}` stays). */
function fetchLines(raw: string): string[] {
  let text = '';
  for (let i = 0; i < raw.length;) {
    const m = /\{(\d+)\}\r\n/g;
    m.lastIndex = i;
    const hit = m.exec(raw);
    if (!hit) {
      text += raw.slice(i);
      break;
    }
    text += raw.slice(i, hit.index + hit[0].length - 2);
    i = hit.index + hit[0].length + Number(hit[1]);
  }
  return text.split('\r\n').filter((l) => l.startsWith('* '));
}

t.test('a FETCH that sets \\Seen reports UID and MODSEQ once CONDSTORE is on', async (t) => {
  const { c } = await setup(t, 6);
  t.match((await c.cmd('SELECT INBOX')).tagged, / OK /);
  const plain = await c.cmd('FETCH 1 (BODY[TEXT])');
  t.same(plain.untagged.map((l) => l.replace(/\{\d+\}.*/, '')), ['* 1 FETCH (BODY[TEXT] '], 'plain session: no UID, no MODSEQ');
  t.match(plain.raw, /body 1\r\n FLAGS \(\\Seen \\Recent\)\)\r\n/);
  t.match((await c.cmd('ENABLE CONDSTORE')).tagged, / OK /);
  const rows: [string, RegExp][] = [
    // whole message (the dedicated loop), a section (the general loop), RFC822
    ['FETCH 2 (BODY[])', /^\* 2 FETCH \(UID 2 BODY\[\] \{\d+\} MODSEQ \(\d+\) FLAGS \(\\Seen \\Recent\)\)$/],
    ['FETCH 3 (BODY[TEXT])', /^\* 3 FETCH \(UID 3 BODY\[TEXT\] \{\d+\} MODSEQ \(\d+\) FLAGS \(\\Seen \\Recent\)\)$/],
    ['FETCH 4 (FLAGS RFC822)', /^\* 4 FETCH \(UID 4 FLAGS \(\\Seen \\Recent\) RFC822 \{\d+\} MODSEQ \(\d+\)\)$/],
    ['UID FETCH 5 (BODY[HEADER.FIELDS (SUBJECT)] BODY[TEXT])', /^\* 5 FETCH \(UID 5 BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\} BODY\[TEXT\] \{\d+\} MODSEQ \(\d+\) FLAGS \(\\Seen \\Recent\)\)$/],
    // \Seen already set: nothing implicit, as RFC 3501 (no UID, no MODSEQ asked)
    ['FETCH 2 (BODY[])', /^\* 2 FETCH \(BODY\[\] \{\d+\}\)$/],
    ['FETCH 2 (FLAGS)', /^\* 2 FETCH \(FLAGS \(\\Seen \\Recent\)\)$/],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, / OK /, cmd);
    t.match(fetchLines(r.raw).join('\n'), want, cmd);
  }
  const ms = (await c.cmd('FETCH 2:5 (MODSEQ)')).untagged.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
  t.equal(new Set(ms).size, 4, 'each \\Seen got its own modseq');
});

t.test('EXAMINE (read-only) sets no \\Seen, so nothing is added', async (t) => {
  const { c } = await setup(t, 1);
  t.match((await c.cmd('EXAMINE INBOX (CONDSTORE)')).tagged, / OK /);
  t.match(fetchLines((await c.cmd('FETCH 1 (BODY[])')).raw).join('\n'), /^\* 1 FETCH \(BODY\[\] \{\d+\}\)$/);
});

t.test('another session\'s flag change reaches a CONDSTORE session with UID and MODSEQ', async (t) => {
  const { c, open } = await setup(t, 2);
  const d = await open();
  t.match((await c.cmd('SELECT INBOX (CONDSTORE)')).tagged, / OK /);
  t.match((await d.cmd('SELECT INBOX')).tagged, / OK /);
  t.match((await d.cmd('FETCH 2 (BODY[])')).tagged, / OK /);
  t.match((await d.cmd('STORE 1 +FLAGS (\\Flagged)')).tagged, / OK /);
  const r = await c.cmd('NOOP');
  t.match(r.untagged[0], /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged( \\Recent)?\) MODSEQ \(\d+\)\)$/);
  t.match(r.untagged[1], /^\* 2 FETCH \(UID 2 FLAGS \(\\Seen( \\Recent)?\) MODSEQ \(\d+\)\)$/);
  t.same((await d.cmd('NOOP')).untagged, [], 'the plain session heard its own changes already');
});

t.test('EXPUNGE / UID EXPUNGE with QRESYNC answer OK [HIGHESTMODSEQ n] when something was removed; CLOSE does not', async (t) => {
  const { c, open } = await setup(t, 6);
  t.match((await c.cmd('ENABLE QRESYNC')).tagged, / OK /);
  t.match((await c.cmd('SELECT INBOX')).tagged, / OK /);
  t.match((await c.cmd('STORE 1:2 +FLAGS.SILENT (\\Deleted)')).tagged, / OK /);
  const x = await c.cmd('EXPUNGE');
  t.same(x.untagged, ['* VANISHED 1:2']);
  const after = Number(/^T\d+ OK \[HIGHESTMODSEQ (\d+)\]/.exec(x.tagged)?.[1]);
  const status = await c.cmd('STATUS INBOX (HIGHESTMODSEQ)');
  t.match(status.untagged[0], new RegExp(`HIGHESTMODSEQ ${after}\\)`), 'the mailbox\'s new HIGHESTMODSEQ');
  t.notMatch((await c.cmd('EXPUNGE')).tagged, /HIGHESTMODSEQ/, 'nothing removed: no code');
  t.match((await c.cmd('UID STORE 3,4 +FLAGS.SILENT (\\Deleted)')).tagged, / OK /);
  const u = await c.cmd('UID EXPUNGE 3');
  t.same(u.untagged, ['* VANISHED 3']);
  const after2 = Number(/^T\d+ OK \[HIGHESTMODSEQ (\d+)\]/.exec(u.tagged)?.[1]);
  t.ok(after2 > after, 'UID EXPUNGE: a higher HIGHESTMODSEQ');
  t.notMatch((await c.cmd('UID EXPUNGE 5:6')).tagged, /HIGHESTMODSEQ/, 'nothing removed: no code');
  const cl = await c.cmd('CLOSE');
  t.match(cl.tagged, /^T\d+ OK /);
  t.notMatch(cl.tagged, /HIGHESTMODSEQ/, 'CLOSE: MUST NOT (3.2.8)');
  // without QRESYNC (CONDSTORE only, or plain) no code
  const d = await open();
  t.match((await d.cmd('SELECT INBOX (CONDSTORE)')).tagged, / OK /);
  t.match((await d.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)')).tagged, / OK /);
  const e = await d.cmd('EXPUNGE');
  t.same(e.untagged, ['* 1 EXPUNGE']);
  t.notMatch(e.tagged, /HIGHESTMODSEQ/);
});
