/**
 * SORT and THREAD=REFERENCES over the wire (RFC 5256) on a corpus whose answers were checked
 * against Dovecot 2.3: reply chains, a missing parent, a loop-free In-Reply-To, and the
 * base-subject gathering (a reply joins its non-reply root) that THREAD had left out.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

/** [subject, message-id, in-reply-to, references, Date header] */
const CORPUS: [string, string, string, string, string][] = [
  ['Re: apple', 'a1@x', '', '', 'Mon, 1 Jan 2024 10:00:00 +0000'],
  ['banana', 'b1@x', '', '', 'Tue, 2 Jan 2024 09:00:00 +0100'],
  ['Re: banana', 'b2@x', 'b1@x', 'b1@x', 'Wed, 3 Jan 2024 10:00:00 +0000'],
  ['cherry', 'c1@x', 'zz@x', 'zz@x', 'Thu, 4 Jan 2024 10:00:00 +0000'],
  ['Fwd: banana', 'b3@x', 'b2@x', 'b1@x b2@x', 'Fri, 5 Jan 2024 10:00:00 +0000'],
  ['apple', 'a2@x', '', '', 'Sat, 6 Jan 2024 10:00:00 +0000'],
  ['[list] Re: apple (fwd)', 'a3@x', 'nope@x', 'nope@x', 'Sun, 7 Jan 2024 10:00:00 +0000'],
  ['cherry', 'c2@x', 'c1@x', 'zz@x c1@x', 'Mon, 8 Jan 2024 10:00:00 +0000'],
];

function message([subject, id, irt, refs, date]: (typeof CORPUS)[number]): string {
  const ids = (v: string): string => v.split(' ').map((r) => `<${r}>`).join(' ');
  return [
    'From: a@example.com', 'To: b@example.com', `Subject: ${subject}`, `Message-ID: <${id}>`, `Date: ${date}`,
    ...(irt ? [`In-Reply-To: ${ids(irt)}`] : []), ...(refs ? [`References: ${ids(refs)}`] : []), '', `body of ${subject}`, '',
  ].join('\r\n');
}

t.test('THREAD REFERENCES and SORT answer as RFC 5256 (and Dovecot) do', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  for (const row of CORPUS) {
    const m = message(row);
    t.match((await c.cmd(`APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`)).tagged, / OK /);
  }
  t.match((await c.cmd('SELECT INBOX')).tagged, / OK /);
  const rows: [string, string][] = [
    ['THREAD REFERENCES UTF-8 ALL', '* THREAD (2 3 5)(4 8)(6 (1)(7))'],
    ['UID THREAD REFERENCES UTF-8 SUBJECT apple', '* THREAD (6 (1)(7))'],
    ['THREAD REFERENCES US-ASCII SUBJECT nothing', '* THREAD'],
    ['SORT (SUBJECT) UTF-8 ALL', '* SORT 1 6 7 2 3 5 4 8'],
    ['SORT (REVERSE DATE) UTF-8 ALL', '* SORT 8 7 6 5 4 3 2 1'],
    ['UID SORT (REVERSE SUBJECT DATE) UTF-8 NOT FLAGGED', '* SORT 4 8 2 3 5 1 6 7'],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, / OK /, cmd);
    t.same(r.untagged, [want], cmd);
  }
  t.match((await c.cmd('THREAD ORDEREDSUBJECT UTF-8 ALL')).tagged, / NO /, 'only REFERENCES is advertised');
  t.match((await c.cmd('SORT (SUBJECT) KOI8-R ALL')).tagged, / NO \[BADCHARSET/);
});
