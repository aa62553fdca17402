/**
 * FETCH answers found wrong by diffing against Dovecot. BINARY (RFC 3516) of a single-part base64
 * message: BINARY[] names the whole message, header included, so the header is never run through
 * the body's base64 decoder; BINARY[1] (the body of a single-part message) is decoded. A multipart
 * without parts: its stand-in text/plain part has the defaults (charset us-ascii) and, in
 * BODYSTRUCTURE, the extension fields of any other part. A message/rfc822 part always carries an
 * envelope and a body (RFC 3501 body-type-msg), also when it is base64-encoded and so not parsed;
 * a digest's part without Content-Type is message/rfc822 with no charset parameter.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

const USER = 'alice@example.com';
const BODY = Buffer.from([0, 1, 2, 3, 0xff, 0x0d, 0x0a, 0x41]);
const MESSAGE = Buffer.from([
  'From: x@example.org', 'Subject: one attachment', 'MIME-Version: 1.0',
  'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', BODY.toString('base64'), '',
].join('\r\n'));

/** The literal of `label` in a raw (latin1) FETCH response. */
function literalOf(raw: string, label: string): string | null {
  const at = raw.indexOf(`${label} `);
  if (at < 0) return null;
  const m = /^~?\{(\d+)\}\r\n/.exec(raw.slice(at + label.length + 1));
  if (!m) return null;
  const start = at + label.length + 1 + m[0].length;
  return raw.slice(start, start + Number(m[1]));
}

t.test('BINARY[] of a single-part base64 message is the message as stored', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  await s.services.mail.append(USER, 'INBOX', { data: MESSAGE }, { flags: [] });
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  const whole = await c.cmd('FETCH 1 (BINARY.PEEK[])');
  t.equal(literalOf(whole.raw, 'BINARY[]'), MESSAGE.toString('latin1'), 'BINARY[]: header and body as stored');
  t.match((await c.cmd('FETCH 1 (BINARY.SIZE[])')).untagged, [`* 1 FETCH (BINARY.SIZE[] ${MESSAGE.length})`]);
  const part = await c.cmd('FETCH 1 (BINARY.PEEK[1])');
  t.equal(literalOf(part.raw, 'BINARY[1]'), BODY.toString('latin1'), 'BINARY[1]: the decoded body');
  t.match(part.raw, /BINARY\[1\] ~\{8\}/, 'with NUL bytes: a literal8');
  t.match((await c.cmd('FETCH 1 (BINARY.SIZE[1])')).untagged, ['* 1 FETCH (BINARY.SIZE[1] 8)']);
  const partial = await c.cmd('FETCH 1 (BINARY.PEEK[]<0.5>)');
  t.equal(literalOf(partial.raw, 'BINARY[]<0>'), 'From:', 'a partial of BINARY[] counts stored bytes');
});

t.test('BODYSTRUCTURE of a multipart with no parts', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  const data = Buffer.from('From: x@example.org\r\nSubject: empty\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here\r\n');
  await s.services.mail.append(USER, 'INBOX', { data }, { flags: [] });
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  t.match((await c.cmd('FETCH 1 (BODYSTRUCTURE)')).untagged,
    ['* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "zz") NIL NIL NIL))']);
  t.match((await c.cmd('FETCH 1 (BODY)')).untagged, ['* 1 FETCH (BODY (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0) "MIXED"))']);
});

t.test('BODYSTRUCTURE of message/rfc822 parts: encoded, and a digest default', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'secret');
  const inner = Buffer.from('From: x@example.org\r\nSubject: b64\r\n\r\nhi\r\n').toString('base64');
  const encoded = `From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${inner}\r\n`;
  const digest = 'From: a@example.org\r\nSubject: digest\r\nMIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n'
    + '--d\r\n\r\nFrom: x@example.org\r\nSubject: in digest\r\n\r\nbody1\r\n--d--\r\n';
  for (const m of [encoded, digest]) await s.services.mail.append(USER, 'INBOX', { data: Buffer.from(m) }, { flags: [] });
  const c = await rawLogin(t, s.ports.imap!, USER, 'secret');
  await c.cmd('SELECT INBOX');
  const empty = '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0';
  t.match((await c.cmd('FETCH 1 (BODYSTRUCTURE BODY)')).untagged,
    [`* 1 FETCH (BODYSTRUCTURE ("MESSAGE" "RFC822" NIL NIL NIL "BASE64" ${inner.length + 2} ${empty} NIL NIL NIL NIL) 1 NIL NIL NIL NIL) BODY ("MESSAGE" "RFC822" NIL NIL NIL "BASE64" ${inner.length + 2} ${empty}) 1))`],
    'an encoded message/rfc822: empty envelope and body, not a cut-short body-type-msg');
  const d = (await c.cmd('FETCH 2 (BODY)')).untagged[0]!;
  t.match(d, /^\* 2 FETCH \(BODY \(\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(NIL "in digest" /, 'a digest part: message/rfc822 without a charset');
});
