import t from 'tap';
import { summarize, previewOf, isSpace } from '../../src/workers/parse-mime.js';
import type { MimePart } from '../../src/common/mail.js';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');

t.test('nested multipart with message/rfc822: offsets, sections, attachments', async (t) => {
  const raw = crlf(`From: =?utf-8?b?SsO2cmc=?= <j@example.com>
To: "Bob, B." <bob@example.com>, carol@example.com
Subject: =?iso-8859-1?q?caf=E9?=
Date: Thu, 4 Jan 2024 12:00:00 +0000
Message-ID: <abc@x>
In-Reply-To: <prev@x>
References: <a@x> <prev@x>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 au lait, =
soft break
--inner
Content-Type: text/html; charset=utf-8

<p>Caf&eacute;</p>
--inner--
--outer
Content-Type: message/rfc822

Subject: inner message
From: x@y.z

inner body
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: text/calendar; method=REQUEST

BEGIN:VCALENDAR
END:VCALENDAR
--outer--
`);
  const s = summarize(raw);
  t.equal(s.envelope.subject, 'café');
  t.same(s.envelope.from, [{ name: 'Jörg', mailbox: 'j', host: 'example.com' }]);
  t.same(s.envelope.to.map((a) => a.name), ['Bob, B.', null]);
  t.same(s.envelope.sender, s.envelope.from);
  t.equal(s.envelope.messageId, '<abc@x>');
  t.equal(s.envelope.inReplyTo, '<prev@x>');
  t.same(s.references, ['<a@x>', '<prev@x>']);
  t.equal(s.preview, 'Café au lait, soft break');
  const body = s.body;
  t.equal(body.type, 'multipart');
  t.equal(body.subtype, 'mixed');
  t.equal(body.children!.length, 4);
  const alt = body.children![0]!;
  t.equal(alt.subtype, 'alternative');
  const plain = alt.children![0]!;
  const slice = (p: MimePart) => raw.subarray(p.bodyStart, p.end).toString('latin1');
  t.equal(slice(plain), 'Caf=E9 au lait, =\r\nsoft break');
  t.equal(raw.subarray(plain.headerStart, plain.bodyStart).toString('latin1'),
    'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  t.equal(plain.encoding, 'QUOTED-PRINTABLE');
  t.equal(plain.size, plain.end - plain.bodyStart);
  t.equal(plain.lines, 2);
  const msg = body.children![1]!;
  t.equal(msg.type, 'message');
  t.equal(msg.message!.envelope.subject, 'inner message');
  t.equal(slice(msg.message!.body), 'inner body');
  t.same(s.attachments.map((a) => [a.section, a.filename, a.contentType]), [
    ['2', 'part-2', 'message/rfc822'], ['3', 'résumé.pdf', 'application/pdf'],
  ]);
  t.same(s.calendarParts, ['4']);
  t.equal(slice(body.children![2]!), 'JVBERi0xLjQK');
  t.equal(body.end, raw.length);
});

t.test('bad and odd input never throws', async (t) => {
  const cases = [
    '', 'no header at all', '\r\n\r\nbody only', 'Subject: x', 'Content-Type: multipart/mixed\n\nno boundary',
    'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nunterminated',
    'Content-Type: /\n\nx', 'Content-Type: text/plain; charset=x-unknown\n\n\xff\xfe',
    'Content-Transfer-Encoding: base64\n\n!!!!', 'From: <<<@@@>>>\nTo: ;;;\n\nx',
  ];
  for (const c of cases) {
    const s = summarize(Buffer.from(c, 'latin1'));
    t.ok(s.body, JSON.stringify(c));
    t.ok(s.body.end === Buffer.byteLength(c, 'latin1'));
  }
  const lf = summarize(Buffer.from('Subject: lf\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\none\n--z\n\ntwo\n--z--\n'));
  t.same(lf.body.children!.map((p) => p.size), [3, 3]);
  t.equal(lf.preview, 'one');
});

t.test('the preview looks at a window of the text yet equals collapsing the whole text', async (t) => {
  const whole = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const cases = [
    '', '   ', 'short', ' \r\n lead', 'word '.repeat(2000), ' \t\r\n'.repeat(600) + 'late text '.repeat(100),
    'x'.repeat(1023) + '   \r\n  ' + 'y'.repeat(300), ' '.repeat(5000) + 'z', 'a b\u00a0c '.repeat(500),
  ];
  for (const c of cases) t.equal(previewOf(c), whole(c), `case of ${c.length} chars`);
  // every Unicode space and line terminator, surrogate pairs cut at the limit, random mixes
  const spaces = [...'\t\n\v\f\r \u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'];
  const odd = [
    spaces.join('') + 'x' + spaces.join(''), '\u180ea\u180e b', '\u200bzero\u200bwidth', 'a'.repeat(199) + '\u{1F600}' + 'b',
    'a'.repeat(198) + ' \u{1F600}', ' '.repeat(3) + 'w'.repeat(5000), 'a'.repeat(200) + ' b', 'a'.repeat(199) + ' b', 'a'.repeat(199) + '   ',
  ];
  let seed = 7;
  const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % k;
  const alphabet = [...spaces, 'a', 'b', 'é', '\u{1F600}', '\u0000', '\u180e', '\u200b'];
  for (let k = 0; k < 300; k++) odd.push(Array.from({ length: rnd(600) }, () => alphabet[rnd(alphabet.length)]).join(''));
  // (the names carry no raw text: a U+2028 or NUL in a test name breaks the TAP stream)
  const wrong = odd.filter((c) => previewOf(c) !== whole(c));
  t.same(wrong.map((c) => [...c].map((ch) => ch.codePointAt(0)!.toString(16)).join(' ')), [], `${odd.length} odd cases`);
  const differ: string[] = [];
  for (let c = 0; c < 0x10000; c++) if (isSpace(c) !== /\s/.test(String.fromCharCode(c))) differ.push(c.toString(16));
  t.same(differ, [], 'isSpace is \\s for every UTF-16 code unit');
  const msg = Buffer.from(`Subject: s\r\n\r\n${'\r\n'.repeat(3000)}${'The quick  brown fox.\r\n'.repeat(500)}`);
  t.equal(summarize(msg).preview, whole('The quick  brown fox.\r\n'.repeat(500)), 'summary preview after 3000 blank lines');
});

t.test('address headers parsed lately answer the same list as a fresh parse', async (t) => {
  const { parseAddresses, parseAddressesNow } = await import('../../src/workers/mime/envelope.js');
  const values = [
    'a@example.com', '"Bob, B." <bob@example.com>, carol@example.com', '=?utf-8?b?SsO2cmc=?= <j@example.com>',
    'undisclosed-recipients:;', 'Group: x@y.z, "Q" <q@r.s>;, tail@t.u', '<>', '"" <@>', 'no at sign', '(comment) a@b (c)',
    'x'.repeat(1200) + '@long.example', ',,,', '"unterminated <a@b>',
  ];
  for (let round = 0; round < 3; round++) {
    for (const v of values) t.same(parseAddresses(v), parseAddressesNow(v), `round ${round}: ${v.slice(0, 30)}`);
  }
  const msg = Buffer.from('From: "Ann" <ann@example.com>\r\nTo: bob@example.com\r\nSubject: s\r\n\r\nhello  there\r\n');
  const first = JSON.stringify(summarize(msg));
  t.equal(JSON.stringify(summarize(msg)), first, 'the summary JSON of a message is the same the second time');
  const s = summarize(msg);
  t.ok(Object.isFrozen(s.envelope.from), 'a remembered list cannot be changed by a holder');
});

t.test('a plain preview decoded a step at a time equals the preview of the whole decoded text', async (t) => {
  const { plainPreview } = await import('../../src/workers/parse-mime.js');
  const { parsePart } = await import('../../src/workers/mime/structure.js');
  const { partText } = await import('../../src/workers/mime/text.js');
  let seed = 11;
  const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % k;
  // pieces whose bytes straddle the 2048-byte steps: multibyte UTF-8, invalid bytes, long blank runs
  const pieces = [Buffer.from('word '), Buffer.from('é'), Buffer.from('日本語'), Buffer.from('\u{1F600}'), Buffer.from([0xff]),
    Buffer.from([0xe6, 0x97]), Buffer.from(' \r\n\t'), Buffer.from(' '.repeat(700)), Buffer.from('\u00a0\u3000'), Buffer.from('x'.repeat(300))];
  const charsets = ['utf-8', 'us-ascii', 'iso-8859-1', 'shift_jis', 'iso-2022-jp', 'utf-16le', 'x-unknown'];
  const wrong: string[] = [];
  let cases = 0;
  // (ISO-8859-1 and the rest take the whole-text path: Node's one-shot and streaming ISO-8859-1 differ at 0x80-0x9f)
  for (let k = 0; k < 1000; k++) {
    const body = Buffer.concat(Array.from({ length: rnd(400) }, () => pieces[rnd(pieces.length)]!));
    const charset = charsets[rnd(charsets.length)]!;
    const enc = ['7bit', '8bit', 'binary', ''][rnd(4)];
    const head = `Content-Type: text/plain; charset=${charset}\r\n${enc ? `Content-Transfer-Encoding: ${enc}\r\n` : ''}\r\n`;
    const msg = Buffer.concat([Buffer.from(head), body]);
    const part = parsePart(msg, 0, msg.length);
    cases++;
    const whole = previewOf(partText(msg, part));
    if (plainPreview(msg, part) !== whole) wrong.push(`case ${k}: ${charset} ${enc} ${body.length} bytes`);
  }
  t.same(wrong, [], `${cases} bodies in ${charsets.length} charsets`);
});
