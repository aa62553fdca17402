/** The expand-rrule worker's memo of parsed calendars stays within its text budget under edits. */
import t from 'tap';
import expand, { memoSize } from '../../src/workers/expand-rrule.js';

const ics = (i: number) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:e${i % 20}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:${i} ${'x'.repeat(400)}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

t.test('every edit is a new hash; the memo keeps the newest within 2 MB of text', async (t) => {
  const range = { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 2, 1) };
  let errors = 0;
  for (let i = 0; i < 12_000; i++) {
    const out = expand({ items: [{ name: `e${i % 20}`, ics: ics(i), etag: `h${i}` }], data: 'expand', range });
    if (out.results.length !== 1 || out.results[0]!.error) errors++;
  }
  t.equal(errors, 0, 'every expansion answered');
  const m = memoSize();
  t.ok(m.textBytes <= 2 * 1024 * 1024, `text held: ${m.textBytes}`);
  t.ok(m.entries < 12_000 && m.entries > 500, `entries held: ${m.entries}`);
  // the newest is a hit: same etag, same answer without growing the memo
  const before = memoSize();
  expand({ items: [{ name: 'e19', ics: ics(11_999), etag: 'h11999' }], data: 'none', range });
  t.same(memoSize(), before, 'a hit adds nothing');
});
