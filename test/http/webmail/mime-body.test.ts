import t from 'tap';
import { decodeQp, decodeTransfer, decodeCharset, partAt, leaves } from '../../../src/http/webmail/mime-body.js';
import { prefixed, htmlToText, prefill } from '../../../src/http/webmail/quote.js';
import type { MimePart, Envelope } from '../../../src/common/mail.js';

t.test('transfer encodings and charsets', async (t) => {
  t.equal(decodeQp(Buffer.from('caf=C3=A9 =\r\nsoft=3D')).toString('utf8'), 'café soft=');
  t.equal(decodeTransfer(Buffer.from('aGVs\r\nbG8='), 'BASE64').toString(), 'hello');
  t.equal(decodeTransfer(Buffer.from('x=41'), '7BIT').toString(), 'x=41');
  t.equal(decodeCharset(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'iso-8859-1'), 'café');
  t.equal(decodeCharset(Buffer.from([0x80]), 'windows-1252'), '€');
  t.equal(decodeCharset(Buffer.from('ok'), 'no-such-charset'), 'ok');
});

const leaf = (type: string, subtype: string): MimePart => ({
  type, subtype, params: {}, id: null, description: null, encoding: '7BIT', size: 0, lines: null, md5: null,
  disposition: null, language: null, location: null, headerStart: 0, bodyStart: 0, end: 0,
});

t.test('sections', async (t) => {
  const tree: MimePart = { ...leaf('multipart', 'mixed'), children: [{ ...leaf('multipart', 'alternative'), children: [leaf('text', 'plain'), leaf('text', 'html')] }, leaf('application', 'pdf')] };
  t.same(leaves(tree).map((l) => l.section), ['1.1', '1.2', '2']);
  t.equal(partAt(tree, '1.2')!.subtype, 'html');
  t.equal(partAt(tree, '2')!.subtype, 'pdf');
  t.equal(partAt(tree, '3'), undefined);
  t.equal(partAt(tree, 'x'), undefined);
  t.equal(partAt(leaf('text', 'plain'), '1')!.subtype, 'plain');
});

t.test('reply prefill', async (t) => {
  t.equal(prefixed('Re', 're: hi'), 're: hi');
  t.equal(prefixed('Re', 'hi'), 'Re: hi');
  t.equal(htmlToText('<p>a<br>b</p><script>x</script>&amp;'), 'a\nb\n&');
  const a = (mailbox: string, name: string | null = null) => ({ name, mailbox, host: 'example.com' });
  const e: Envelope = {
    date: null, subject: 'Plan', from: [a('carol', 'Carol')], sender: [], replyTo: [], to: [a('alice'), a('dave')], cc: [a('erin')], bcc: [],
    inReplyTo: null, messageId: '<m1@example.com>',
  };
  const all = prefill('reply-all', e, ['<m0@example.com>'], 'line', 'alice@example.com', 'today');
  t.equal(all.to, '"Carol" <carol@example.com>, dave@example.com');
  t.equal(all.cc, 'erin@example.com');
  t.equal(all.references, '<m0@example.com> <m1@example.com>');
  t.equal(all.inReplyTo, '<m1@example.com>');
  t.match(all.body, /> line/);
  const one = prefill('reply', e, [], 'line', 'alice@example.com', 'today');
  t.equal(one.to, '"Carol" <carol@example.com>');
  t.equal(one.cc, '');
  const fwd = prefill('forward', e, [], 'line', 'alice@example.com', 'today');
  t.equal(fwd.subject, 'Fwd: Plan');
  t.equal(fwd.to, '');
});
