/**
 * ENVELOPE address lists as RFC 3501 7.4.2 defines them, found by diffing against Dovecot:
 * group syntax is sent as a start marker (NIL NIL "name" NIL), the members, an end marker
 * (NIL NIL NIL NIL), also for an empty group (`undisclosed-recipients:;`); an address without a
 * domain must not be sent with host NIL (a client reads that as a group marker).
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

const USER = 'alice@example.com';

function message(headers: string[]): Buffer {
  return Buffer.from([...headers, 'Subject: s', 'Date: Tue, 02 Jan 2024 03:04:05 -0800', '', 'body', ''].join('\r\n'));
}

/** Rows: headers, then the address fields of the ENVELOPE expected (from sender reply-to to cc bcc). */
const ROWS: { name: string; headers: string[]; want: string }[] = [
  {
    name: 'an empty group (undisclosed recipients)',
    headers: ['From: a@example.org', 'To: undisclosed-recipients:;'],
    want: '((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL',
  },
  {
    name: 'a group with members between plain addresses',
    headers: ['From: a@example.org', 'To: x@example.org, Friends: y@example.org, "Z \\"Q\\"" <z@example.org>;, w@example.org'],
    want: '((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "x" "example.org")(NIL NIL "Friends" NIL)(NIL NIL "y" "example.org")("Z \\"Q\\"" NIL "z" "example.org")(NIL NIL NIL NIL)(NIL NIL "w" "example.org")) NIL NIL',
  },
  {
    name: 'two groups in Cc, one empty',
    headers: ['From: a@example.org', 'To: b@example.org', 'Cc: G1: c@example.org;, G2:;'],
    want: '((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "b" "example.org")) ((NIL NIL "G1" NIL)(NIL NIL "c" "example.org")(NIL NIL NIL NIL)(NIL NIL "G2" NIL)(NIL NIL NIL NIL)) NIL',
  },
  {
    name: 'a group in From also stands for the missing Sender and Reply-To',
    headers: ['From: Team: a@example.org;'],
    want: '((NIL NIL "Team" NIL)(NIL NIL "a" "example.org")(NIL NIL NIL NIL)) ((NIL NIL "Team" NIL)(NIL NIL "a" "example.org")(NIL NIL NIL NIL)) ((NIL NIL "Team" NIL)(NIL NIL "a" "example.org")(NIL NIL NIL NIL)) NIL NIL NIL',
  },
  {
    name: 'an address without a domain is not a group marker',
    headers: ['From: Undisclosed', 'To: <postmaster>'],
    want: '((NIL NIL "Undisclosed" "MISSING_DOMAIN")) ((NIL NIL "Undisclosed" "MISSING_DOMAIN")) ((NIL NIL "Undisclosed" "MISSING_DOMAIN")) ((NIL NIL "postmaster" "MISSING_DOMAIN")) NIL NIL',
  },
  {
    name: 'a colon inside a quoted display name is no group',
    headers: ['From: "Re: you" <a@example.org>', 'To: b@example.org'],
    want: '(("Re: you" NIL "a" "example.org")) (("Re: you" NIL "a" "example.org")) (("Re: you" NIL "a" "example.org")) ((NIL NIL "b" "example.org")) NIL NIL',
  },
];

t.test('ENVELOPE address lists: group syntax and domainless addresses', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  for (const row of ROWS) await s.services.mail.append(USER, 'INBOX', { data: message(row.headers) }, { flags: [] });
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  const r = await c.cmd('FETCH 1:* (ENVELOPE)');
  t.match(r.tagged, /OK/);
  ROWS.forEach((row, i) => {
    const line = r.untagged.find((l) => l.startsWith(`* ${i + 1} FETCH`)) ?? '';
    const prefix = '"Tue, 02 Jan 2024 03:04:05 -0800" "s" ';
    const at = line.indexOf(prefix);
    const fields = line.slice(at + prefix.length, line.lastIndexOf(' NIL NIL))'));
    t.equal(fields, row.want, row.name);
  });
  // the group name is part of the header text SEARCH matches
  t.match((await c.cmd('SEARCH TO undisclosed-recipients')).untagged, ['* SEARCH 1']);
  t.match((await c.cmd('SEARCH TO friends')).untagged, ['* SEARCH 2']);
});
