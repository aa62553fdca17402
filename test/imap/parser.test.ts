import t from 'tap';
import { parseCommand, parseSequenceSet, selectFromSet, parseDateTime, parseDate, literalAtEnd, type CommandPart, Args } from '../../src/imap/parser.js';
import { parseFetchAtts } from '../../src/imap/parse-fetch.js';
import { parseSearchProgram } from '../../src/imap/parse-search.js';
import { toUtf7, fromUtf7, envelope, str } from '../../src/imap/encode.js';
import { uidSetText } from '../../src/imap/uidset.js';

const line = (s: string): CommandPart => ({ kind: 'line', data: Buffer.from(s, 'utf8') });
const lit = (s: string): CommandPart => ({ kind: 'literal', data: Buffer.from(s, 'utf8') });
const cmd = (...parts: CommandPart[]) => parseCommand(parts);

t.test('commands and tokens', async (t) => {
  const c = cmd(line('a1 LOGIN "al\\"ice" {2}'), lit('pw'), line(''));
  t.equal(c.tag, 'a1');
  t.equal(c.name, 'LOGIN');
  t.same(c.args.map((a) => (a.t === 'str' ? a.v.toString() : a)), ['al"ice', 'pw']);
  const f = cmd(line('x UID fetch 1:* (UID BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)'));
  t.equal(f.name, 'UID FETCH');
  const atts = parseFetchAtts(f.args[1]!);
  t.equal(atts.length, 2);
  t.match(atts[1], { kind: 'section', peek: true, spec: 'HEADER.FIELDS', fields: ['from', 'to'], partial: { start: 0, length: 100 }, label: 'BODY[HEADER.FIELDS (FROM TO)]<0>' });
  t.match(parseFetchAtts({ t: 'atom', v: 'BODY[1.2.MIME]' })[0], { part: [1, 2], spec: 'MIME' });
  t.match(parseFetchAtts({ t: 'atom', v: 'BINARY.PEEK[2]' })[0], { binary: true, peek: true, part: [2] });
  t.equal(parseFetchAtts({ t: 'atom', v: 'ALL' }).length, 4);
  t.same(literalAtEnd(Buffer.from('a APPEND x {10+}')), { size: 10, plus: true, at: 11 });
  t.equal(literalAtEnd(Buffer.from('a NOOP')), null);
});

const BAD: [string, CommandPart[]][] = [
  ['empty', [line('')]],
  ['tag only', [line('a1')]],
  ['double space', [line('a1 LOGIN  a b')]],
  ['trailing space', [line('a1 NOOP ')]],
  ['unterminated quote', [line('a1 LOGIN "abc')]],
  ['bad escape', [line('a1 LOGIN "a\\b" c')]],
  ['unbalanced paren', [line('a1 FETCH 1 (FLAGS')]],
  ['stray paren', [line('a1 FETCH 1 FLAGS)')]],
  ['literal size mismatch', [line('a1 LOGIN {3}'), lit('ab'), line('')]],
  ['bad tag', [line('a+ NOOP')]],
  ['unterminated bracket', [line('a1 FETCH 1 BODY[HEADER')]],
  ['nul in quoted', [line('a1 LOGIN "a\u0000" b')]],
];

t.test('malformed commands throw BAD', async (t) => {
  for (const [name, parts] of BAD) {
    t.throws(() => parseCommand(parts), { name: 'ImapError', kind: 'BAD' }, name);
  }
  for (const bad of ['BODY[1.]', 'BODY[0]', 'BODY[HEADER.FIELDS]', 'BODY[]<1>', 'BINARY[1.MIME]', 'FOO', 'BODY[MIME]', 'BODY[TEXT]<0.0>']) {
    t.throws(() => parseFetchAtts({ t: 'atom', v: bad }), { name: 'ImapError', kind: 'BAD' }, bad);
  }
});

t.test('sequence sets', async (t) => {
  t.same(parseSequenceSet('1,3:5,7:*'), [{ from: 1, to: 1 }, { from: 3, to: 5 }, { from: 7, to: 0 }]);
  for (const bad of ['0', '1:0', 'a', '1,,2', '', '1:2:3', '-1']) t.throws(() => parseSequenceSet(bad), { name: 'ImapError', kind: 'BAD' }, bad);
  const set = parseSequenceSet('2:4,9:*');
  t.same(selectFromSet(set as never, [1, 2, 3, 5, 9, 12], 12), [2, 3, 9, 12]);
  t.same(selectFromSet(parseSequenceSet('20:*') as never, [1, 5, 10], 10), [10], 'n:* beyond the last uid still matches the last');
  t.equal(uidSetText([5, 1, 2, 3, 9]), '1:3,5,9');
});

t.test('dates', async (t) => {
  t.equal(parseDateTime(' 1-Feb-2024 10:00:00 +0100'), Date.UTC(2024, 1, 1, 9));
  t.equal(parseDate('1-feb-2024'), Date.UTC(2024, 1, 1));
  for (const bad of ['1-Foo-2024 10:00:00 +0000', '01-Feb-2024 25:00:00 +0000', '01-Feb-2024']) t.throws(() => parseDateTime(bad));
});

t.test('search programs', async (t) => {
  const p = parseSearchProgram(new Args(cmd(line('a SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR SEEN (FROM "bob" NOT DELETED) UID 1:5 SINCE 1-Jan-2024')).args), true);
  t.same(p.ret, ['MIN', 'COUNT']);
  t.match(p.key, { k: 'and', keys: [{ k: 'or' }, { k: 'uid' }, { k: 'date', op: 'since' }] });
  t.throws(() => parseSearchProgram(new Args(cmd(line('a SEARCH FOO')).args), false), { name: 'ImapError', kind: 'BAD' });
  t.throws(() => parseSearchProgram(new Args(cmd(line('a SEARCH CHARSET KOI8-R ALL')).args), false), { name: 'ImapError', kind: 'NO', code: /BADCHARSET/ });
  t.throws(() => parseSearchProgram(new Args(cmd(line('a SEARCH SINCE yesterday')).args), false), { name: 'ImapError', kind: 'BAD' });
});

t.test('encoding', async (t) => {
  t.equal(toUtf7('Entwürfe & Co'), 'Entw&APw-rfe &- Co');
  t.equal(fromUtf7('Entw&APw-rfe &- Co'), 'Entwürfe & Co');
  t.equal(fromUtf7('&Jjo!'), null);
  t.equal(str('a"b\\'), '"a\\"b\\\\"');
  t.equal(str('line\r\nbreak'), '{11}\r\nline\r\nbreak');
  t.equal(str(null), 'NIL');
  const env = envelope({ date: null, subject: 'Grüße', from: [{ name: null, mailbox: 'a', host: 'b.c' }], sender: [], replyTo: [], to: [], cc: [], bcc: [], inReplyTo: null, messageId: '<x@y>' });
  t.equal(env, '(NIL "=?UTF-8?B?R3LDvMOfZQ==?=" ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) NIL NIL NIL NIL "<x@y>")');
});
