/**
 * APPEND of content with NUL bytes (RFC 3516 4.3, RFC 3501 4.3 / 9), conformance found by
 * differential testing against Dovecot. The store keeps messages as they are served in BODY[], a
 * literal, which may not hold NUL (RFC 3501 CHAR8): a literal8 `~{n}` with NUL is refused with
 * NO [UNKNOWN-CTE] (RFC 3516 4.3: a mailbox that cannot store binary content), a plain literal
 * with NUL is BAD (its syntax excludes NUL); nothing is stored either way. Binary content that
 * arrives base64-encoded is still served decoded by BINARY[n], as a literal8.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

const head = 'From: a@example.com\r\nSubject: bin\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n';

t.test('APPEND with NUL: literal8 NO [UNKNOWN-CTE], literal BAD, nothing stored; 8-bit without NUL is stored', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  const small = `${head}ab\u0000cd\r\n`;
  const big = `${head}${'x'.repeat(100_000)}\u0000\r\n`; // over 64 KiB: streamed to a file
  const rows: [string, RegExp][] = [
    [`APPEND INBOX ~{${small.length}+}\r\n${small}`, /^T\d+ NO \[UNKNOWN-CTE\] /],
    [`APPEND INBOX ~{${small.length}}\r\n${small}`, /^T\d+ NO \[UNKNOWN-CTE\] /],
    [`APPEND INBOX ~{${big.length}+}\r\n${big}`, /^T\d+ NO \[UNKNOWN-CTE\] /],
    [`APPEND INBOX (\\Seen) {${small.length}+}\r\n${small}`, /^T\d+ BAD /],
    [`APPEND INBOX {${big.length}+}\r\n${big}`, /^T\d+ BAD /],
  ];
  for (const [cmd, want] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, want, cmd.slice(0, 30));
  }
  t.match((await c.cmd('STATUS INBOX (MESSAGES)')).untagged[0], /MESSAGES 0\)/, 'nothing stored');

  const eight = `${head}caf\u00e9 \u00ff\r\n`; // sent as UTF-8: 8-bit bytes, no NUL
  const bytes = Buffer.from(eight).toString('latin1'); // the client reads latin1
  t.match((await c.cmd(`APPEND INBOX ~{${Buffer.byteLength(eight)}+}\r\n${eight}`)).tagged, /OK \[APPENDUID \d+ 1\]/, '8-bit, no NUL: stored');
  t.match((await c.cmd('SELECT INBOX')).untagged.join('\n'), /\* 1 EXISTS/);
  const r = await c.cmd('FETCH 1 (BODY.PEEK[] BINARY.PEEK[1] BINARY.SIZE[1])');
  const body = bytes.slice(head.length);
  t.equal(r.raw, `* 1 FETCH (BODY[] {${bytes.length}}\r\n${bytes} BINARY[1] {${body.length}}\r\n${body} BINARY.SIZE[1] ${body.length})\r\n${r.tagged}\r\n`,
    'served byte for byte; no NUL, so plain literals');
});

t.test('BINARY[n] of a base64 part holding NUL: the decoded bytes in a literal8; BODY[n] stays base64', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  const b64 = Buffer.from('ab\u0000cd\u00ff', 'latin1').toString('base64');
  const m = 'From: a@example.com\r\nSubject: b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=xx\r\n\r\n'
    + '--xx\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
    + `--xx\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--xx--\r\n`;
  t.match((await c.cmd(`APPEND INBOX {${m.length}+}\r\n${m}`)).tagged, /OK/);
  t.match((await c.cmd('SELECT INBOX')).tagged, /OK/);
  const r = await c.cmd('FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[2] BINARY.PEEK[1])');
  t.equal(r.raw, `* 1 FETCH (BINARY[2] ~{6}\r\nab\u0000cd\u00ff BINARY.SIZE[2] 6 BODY[2] {${b64.length}}\r\n${b64} BINARY[1] {5}\r\nhello)\r\n${r.tagged}\r\n`);
});
