import t from 'tap';
import { validateResource, instancesIn, expandCalendar, parseCalendar, rangeOf } from '../../src/common/icalendar.js';
import { matchFilter, type CompFilter } from '../../src/common/caldav-filter.js';

const wrap = (body: string, tz = '') => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n${tz}${body}END:VCALENDAR\r\n`;
const D = (s: string) => Date.parse(s);

const BERLIN = `BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
`;

t.test('validation rejects bad resources with a reason', async (t) => {
  const rows: [string, RegExp][] = [
    ['garbage', /Invalid iCalendar/],
    [wrap('METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\n'), /METHOD/],
    [wrap('BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\n'), /share one UID/],
    [wrap('BEGIN:VEVENT\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\n'), /UID/],
    [wrap('BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nBEGIN:VTODO\r\nUID:a\r\nEND:VTODO\r\n'), /one component type/],
    [wrap(''), /No VEVENT/],
  ];
  for (const [text, re] of rows) t.throws(() => validateResource(text), re);
  const ok = validateResource(wrap('BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z\r\nEND:VEVENT\r\n'));
  t.same(ok.info, { uid: 'a', component: 'VEVENT', start: D('2026-01-01T10:00:00Z'), end: D('2026-01-01T11:00:00Z'), recurring: false, alarm: false });
});

t.test('DST-crossing weekly recurrence keeps wall-clock time (VTIMEZONE and bare IANA TZID)', async (t) => {
  for (const tz of [BERLIN, '']) {
    const cal = parseCalendar(wrap('BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Berlin:20260320T100000\r\nDTEND;TZID=Europe/Berlin:20260320T110000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n', tz));
    const inst = instancesIn(cal, D('2026-03-01T00:00:00Z'), D('2026-05-01T00:00:00Z'));
    t.same(inst.map((i) => new Date(i.start).toISOString()), ['2026-03-20T09:00:00.000Z', '2026-03-27T09:00:00.000Z', '2026-04-03T08:00:00.000Z'], tz ? 'vtimezone' : 'iana');
  }
});

t.test('EXDATE, overrides, all-day, floating, unbounded, all excluded', async (t) => {
  const cal = parseCalendar(wrap(
    'BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260105T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY\r\nEXDATE:20260106T100000Z\r\nEND:VEVENT\r\n'
    + 'BEGIN:VEVENT\r\nUID:d\r\nRECURRENCE-ID:20260107T100000Z\r\nDTSTART:20260107T150000Z\r\nDTEND:20260107T160000Z\r\nSUMMARY:moved\r\nEND:VEVENT\r\n'));
  const inst = instancesIn(cal, D('2026-01-05T00:00:00Z'), D('2026-01-09T00:00:00Z'));
  t.same(inst.map((i) => new Date(i.start).toISOString()), ['2026-01-05T10:00:00.000Z', '2026-01-07T15:00:00.000Z', '2026-01-08T10:00:00.000Z']);
  t.equal(rangeOf(cal).end, null, 'unbounded');
  const far = instancesIn(cal, D('2036-01-01T00:00:00Z'), D('2036-01-03T00:00:00Z'));
  t.equal(far.length, 2, 'unbounded rule far in the future');
  const exp = expandCalendar(cal, D('2026-01-07T00:00:00Z'), D('2026-01-08T00:00:00Z'));
  t.match(exp, /RECURRENCE-ID:20260107T100000Z/);
  t.match(exp, /SUMMARY:moved/);
  t.notMatch(exp, /RRULE/);

  const allDay = parseCalendar(wrap('BEGIN:VEVENT\r\nUID:ad\r\nDTSTART;VALUE=DATE:20260201\r\nEND:VEVENT\r\n'));
  t.same(instancesIn(allDay, D('2026-02-01T12:00:00Z'), D('2026-02-01T13:00:00Z')).length, 1, 'all-day spans the day');
  t.same(instancesIn(allDay, D('2026-02-02T00:00:00Z'), D('2026-02-03T00:00:00Z')).length, 0);

  const floating = parseCalendar(wrap('BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20260301T100000\r\nDTEND:20260301T110000\r\nEND:VEVENT\r\n'));
  t.same(instancesIn(floating, D('2026-03-01T10:30:00Z'), D('2026-03-01T10:45:00Z')).length, 1, 'floating read as UTC');

  const none = parseCalendar(wrap('BEGIN:VEVENT\r\nUID:n\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=2\r\nEXDATE:20260101T100000Z,20260102T100000Z\r\nEND:VEVENT\r\n'));
  t.same(instancesIn(none, D('2025-01-01T00:00:00Z'), D('2027-01-01T00:00:00Z')), [], 'every instance EXDATEd');
  t.equal(expandCalendar(none, D('2025-01-01T00:00:00Z'), D('2027-01-01T00:00:00Z')).includes('VEVENT'), false);
});

t.test('filters: time-range on recurring, text-match, is-not-defined', async (t) => {
  const cal = parseCalendar(wrap('BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Team Meeting\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n'));
  const f = (comp: Partial<CompFilter>): CompFilter => ({ name: 'VCALENDAR', isNotDefined: false, props: [], comps: [{ name: 'VEVENT', isNotDefined: false, props: [], comps: [], ...comp }] });
  t.ok(matchFilter(cal, f({ timeRange: { start: D('2027-06-01T00:00:00Z'), end: D('2027-06-10T00:00:00Z') } })));
  t.notOk(matchFilter(cal, f({ timeRange: { start: D('2025-06-01T00:00:00Z'), end: D('2025-06-10T00:00:00Z') } })));
  t.ok(matchFilter(cal, f({ props: [{ name: 'SUMMARY', isNotDefined: false, params: [], textMatch: { text: 'meeting', collation: 'i;ascii-casemap', negate: false } }] })));
  t.notOk(matchFilter(cal, f({ props: [{ name: 'SUMMARY', isNotDefined: false, params: [], textMatch: { text: 'meeting', collation: 'i;octet', negate: false } }] })));
  t.ok(matchFilter(cal, f({ props: [{ name: 'LOCATION', isNotDefined: true, params: [] }] })));
  t.notOk(matchFilter(cal, { name: 'VCALENDAR', isNotDefined: false, props: [], comps: [{ name: 'VTODO', isNotDefined: false, props: [], comps: [] }] }));
});
