/**
 * THREAD=REFERENCES (RFC 5256 4) and base subjects (2.1), on corpora whose answers were checked
 * against Dovecot 2.3 (the same messages, the same THREAD output).
 */
import t from 'tap';
import { threadReferences, type ThreadMessage } from '../../src/imap/commands/thread.js';
import { subjectInfo } from '../../src/imap/commands/sort.js';

/** [subject, message-id, in-reply-to, references (comma-separated), day of January 2024] */
type Row = [string, string, string, string, number];

function corpus(rows: Row[]): ThreadMessage[] {
  return rows.map(([subject, id, irt, refs, day], i) => ({
    n: i + 1,
    date: Date.UTC(2024, 0, day, 10),
    messageId: id ? `<${id}>` : null,
    inReplyTo: irt ? `<${irt}>` : null,
    references: refs ? refs.split(',').map((r) => `<${r}>`) : [],
    subject,
  }));
}

t.test('base subject and the reply/forward mark', async (t) => {
  const rows: [string, string, boolean][] = [
    ['apple', 'apple', false],
    ['Re: apple', 'apple', true],
    ['RE:   Fwd:apple  ', 'apple', true],
    ['[list] Re: apple (fwd)', 'apple', true],
    ['[list] apple', 'apple', false],
    ['Re [2]: apple', 'apple', true],
    ['[fwd: Re: apple]', 'apple', true],
    ['[only blob]', '[only blob]', false],
    ['Re:', '', true],
    ['  Hello   World ', 'hello world', false],
  ];
  for (const [raw, base, reply] of rows) t.same(subjectInfo(raw), { base, reply }, raw);
});

t.test('references chains, missing parents, subject gathering (Dovecot\'s answers)', async (t) => {
  const a = corpus([
    ['Re: apple', 'a1@x', '', '', 1],
    ['banana', 'b1@x', '', '', 2],
    ['Re: banana', 'b2@x', 'b1@x', 'b1@x', 3],
    ['cherry', 'c1@x', 'zz@x', 'zz@x', 4],
    ['Fwd: banana', 'b3@x', 'b2@x', 'b1@x,b2@x', 5],
    ['apple', 'a2@x', '', '', 6],
    ['[list] Re: apple (fwd)', 'a3@x', 'nope@x', 'nope@x', 7],
    ['cherry', 'c2@x', 'c1@x', 'zz@x,c1@x', 8],
  ]);
  a.push({ n: 9, date: Date.UTC(2026, 0, 1), messageId: '<d1@x>', inReplyTo: null, references: [], subject: 'date' });
  t.equal(threadReferences(a), '(2 3 5)(4 8)(6 (1)(7))(9)');
  t.equal(threadReferences(a.filter((m) => [1, 6, 7].includes(m.n))), '(6 (1)(7))');

  const b = corpus([
    ['Re: lost', 'r1@x', 'gone@x', 'gone@x', 1],
    ['Re: lost', 'r2@x', 'gone@x', 'gone@x', 2],
    ['same', 's1@x', '', '', 3],
    ['same', 's2@x', '', '', 4],
    ['Re: same', 's3@x', '', '', 5],
    ['irt only', 'i2@x', 's1@x', '', 6],
    ['dup', 's1@x', '', '', 7],
    ['loop a', 'la@x', 'lb@x', 'lb@x', 8],
    ['loop b', 'lb@x', 'la@x', 'la@x', 8],
    ['Re: lost', 'r3@x', 'other@x', 'other@x', 9],
    ['tie', 't1@x', '', '', 10],
    ['tie2', 't2@x', '', '', 10],
    ['deep', 'd3@x', 'd2@x', 'd0@x,d1@x,d2@x', 11],
    ['deep', 'd1@x', 'd0@x', 'd0@x', 12],
    ['[fwd: deep]', 'd9@x', '', '', 13],
    ['Re: Re: lost', 'r4@x', 'r3@x', 'wrong@x', 14],
  ]);
  t.equal(threadReferences(b), '((1)(2)(10)(16))((3 6)(4)(5))(7)(9 8)(11)(12)(14 (13)(15))');
  t.equal(threadReferences(b.filter((m) => ![3, 4, 5].includes(m.n))), '((1)(2)(10)(16))(7 6)(9 8)(11)(12)(14 (13)(15))');
  t.equal(threadReferences([]), '');
});
