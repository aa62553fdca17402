/**
 * SEARCH keys as RFC 3501 6.4.4 words them, found by diffing against Dovecot: SENTON/SENTBEFORE/
 * SENTSINCE read the Date header's own day ("disregarding time and timezone"); HEADER with an
 * empty string matches the messages that have the field, also for Subject/From/To; BODY and TEXT
 * see an attached message's header (it is body text of the outer message); `$` and RETURN (SAVE)
 * are SEARCHRES syntax, which is not advertised, so they are BAD; KEYWORD takes a keyword (an
 * atom), so KEYWORD \Seen is BAD; HEADER with a field name no header can have matches nothing.
 * BODY and TEXT decode a text part in its charset.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

const USER = 'alice@example.com';

const MESSAGES = [
  // 1: late on the 9th west of UTC: the 10th in UTC
  ['From: a@example.org', 'Subject: west', 'Date: Tue, 09 Jan 2024 23:59:59 -1200', '', 'one'],
  // 2: early on the 10th east of UTC: the 9th in UTC
  ['From: a@example.org', 'Subject: east', 'Date: Wed, 10 Jan 2024 00:30:00 +1400', '', 'two'],
  // 3: no Subject header at all
  ['From: a@example.org', 'Date: Wed, 10 Jan 2024 12:00:00 +0000', '', 'three'],
  // 4: an attached message whose header holds the words searched for
  ['From: a@example.org', 'Subject: fwd', 'Date: Wed, 10 Jan 2024 12:00:00 +0000', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'see attached', '--b',
    'Content-Type: message/rfc822', '', 'From: Juergen <juergen@inner.example>', 'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
    '', 'inner text', '--b--', ''],
  // 5: an empty Subject header
  ['From: a@example.org', 'Subject:', 'Date: Wed, 10 Jan 2024 12:00:00 +0000', '', 'five'],
];

t.test('SEARCH keys against the RFC 3501 wording', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  for (const m of MESSAGES) await s.services.mail.append(USER, 'INBOX', { data: Buffer.from(m.join('\r\n')) }, { flags: [] });
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  const rows: [string, string][] = [
    ['SENTON 9-Jan-2024', '* SEARCH 1'],
    ['SENTON 10-Jan-2024', '* SEARCH 2 3 4 5'],
    ['SENTBEFORE 10-Jan-2024', '* SEARCH 1'],
    ['SENTSINCE 10-Jan-2024', '* SEARCH 2 3 4 5'],
    ['HEADER Subject ""', '* SEARCH 1 2 4 5'],
    ['NOT HEADER Subject ""', '* SEARCH 3'],
    ['HEADER From ""', '* SEARCH 1 2 3 4 5'],
    ['HEADER To ""', '* SEARCH'],
    ['SUBJECT east', '* SEARCH 2'],
    ['TEXT juergen@inner.example', '* SEARCH 4'],
    ['BODY juergen', '* SEARCH 4'],
    ['CHARSET UTF-8 BODY {7}\r\nGrüße', '* SEARCH 4'],
    ['BODY "inner text"', '* SEARCH 4'],
    ['FROM juergen', '* SEARCH'],
    // header-fld-name is any astring: one no header can have matches nothing (not BAD)
    ['HEADER "" x', '* SEARCH'],
    ['HEADER "Sub ject" x', '* SEARCH'],
    ['NOT HEADER "" x', '* SEARCH 1 2 3 4 5'],
  ];
  for (const [key, want] of rows) {
    const r = await c.cmd(`SEARCH ${key}`);
    t.same([r.untagged, r.tagged.replace(/^\S+ (\w+).*/, '$1')], [[want], 'OK'], key);
  }
  for (const bad of ['SEARCH $', 'UID SEARCH UID $', 'SEARCH RETURN (SAVE) ALL', 'SEARCH OR $ 1']) {
    t.match((await c.cmd(bad)).tagged, /^\S+ BAD /, `${bad}: BAD without SEARCHRES`);
  }
  // flag-keyword is an atom: a system flag is no keyword
  for (const bad of ['SEARCH KEYWORD \\Seen', 'SEARCH UNKEYWORD \\Deleted']) {
    t.match((await c.cmd(bad)).tagged, /^\S+ BAD /, `${bad}: BAD`);
  }
  t.match((await c.cmd('NOOP')).tagged, /OK/, 'the session carries on');
});

t.test('BODY and TEXT read a text part in its own charset', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  const head = (cs: string, cte: string): string =>
    `From: a@example.org\r\nSubject: cs\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=${cs}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;
  const messages = [
    Buffer.from(head('iso-8859-1', 'quoted-printable') + 'un caf=E9 cr=E8me\r\n'),
    Buffer.concat([Buffer.from(head('ISO-8859-1', '8bit')), Buffer.from('un caf\xe9 cr\xe8me\r\n', 'latin1')]),
    Buffer.from(head('windows-1251', 'base64') + Buffer.from([0xef, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x20, 0xec, 0xe8, 0xf0]).toString('base64') + '\r\n'),
    Buffer.from(head('utf-8', 'base64') + Buffer.from('un café, привет мир').toString('base64') + '\r\n'),
  ];
  for (const data of messages) await s.services.mail.append(USER, 'INBOX', { data }, { flags: [] });
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  const rows: [string, string][] = [['café', '* SEARCH 1 2 4'], ['CRÈME', '* SEARCH 1 2'], ['мир', '* SEARCH 3 4'], ['привет', '* SEARCH 3 4']];
  for (const [word, want] of rows) {
    for (const key of ['BODY', 'TEXT']) {
      const r = await c.cmd(`SEARCH CHARSET UTF-8 ${key} {${Buffer.byteLength(word)}}\r\n${word}`);
      t.same(r.untagged, [want], `${key} ${word}`);
    }
  }
});
