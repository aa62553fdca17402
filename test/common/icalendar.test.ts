import t from 'tap';
import ICAL from 'ical.js';
import { validateResource } from '../../src/common/icalendar/validate.js';
import { instancesIn, rangeOf } from '../../src/common/icalendar/instances.js';
import { expandCalendar, expandsToItself } from '../../src/common/icalendar/expand.js';
import { parseCalendar } from '../../src/common/icalendar/parse.js';
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

t.test('expandsToItself: only non-recurring resources already in UTC (or DATE) restate themselves', async (t) => {
  const ev = (lines: string, tz = '') => wrap(`BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n${lines}SUMMARY:x\r\nEND:VEVENT\r\n`, tz);
  t.ok(expandsToItself(ev('DTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z\r\n')), 'UTC start and end');
  t.ok(expandsToItself(ev('DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20260102\r\n')), 'all-day');
  t.ok(expandsToItself(ev('DTSTART:20260101T100000Z\r\n')), 'no end');
  t.notOk(expandsToItself(ev('DTSTART:20260101T100000\r\nDTEND:20260101T110000\r\n')), 'floating is rewritten to UTC');
  t.notOk(expandsToItself(ev('DTSTART;TZID=Europe/Berlin:20260101T100000\r\nDTEND;TZID=Europe/Berlin:20260101T110000\r\n', BERLIN)), 'TZID and VTIMEZONE');
  t.notOk(expandsToItself(ev('DTSTART;TZID=Europe/Berlin:20260101T100000\r\n')), 'bare IANA TZID');
  t.notOk(expandsToItself(ev('DTSTART:20260101T100000Z\r\nDURATION:PT1H\r\n')), 'DURATION becomes DTEND');
  t.notOk(expandsToItself(ev('DTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=2\r\n')), 'recurring');
  // and where it says yes, the expand output carries the same times
  const text = ev('DTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z\r\n');
  const out = expandCalendar(parseCalendar(text), D('2025-12-01T00:00:00Z'), D('2026-02-01T00:00:00Z'));
  t.match(out, /DTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z/);
});

t.test('rangeOf bounds COUNT rules without iterating, always covering the last instance', async (t) => {
  const rules = [
    'FREQ=DAILY;COUNT=200', 'FREQ=DAILY;INTERVAL=3;COUNT=50', 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=30', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;COUNT=10',
    'FREQ=HOURLY;COUNT=100', 'FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6', 'FREQ=YEARLY;COUNT=3',
  ];
  for (const rule of rules) {
    for (const tz of ['', BERLIN]) {
      const start = tz ? 'DTSTART;TZID=Europe/Berlin:20260301T093000\r\nDTEND;TZID=Europe/Berlin:20260301T103000\r\n' : 'DTSTART:20260301T093000Z\r\nDTEND:20260301T103000Z\r\n';
      const cal = parseCalendar(wrap(`BEGIN:VEVENT\r\nUID:r\r\n${start}RRULE:${rule}\r\nEND:VEVENT\r\n`, tz));
      const all = instancesIn(cal, D('2000-01-01T00:00:00Z'), D('2100-01-01T00:00:00Z'));
      const r = rangeOf(cal);
      t.ok(r.end !== null && r.end >= all[all.length - 1]!.end, `${rule}${tz ? ' (Berlin)' : ''}: end covers the last instance`);
      t.ok(r.start !== null && r.start <= all[0]!.start, `${rule}${tz ? ' (Berlin)' : ''}: start is at or before the first instance`);
    }
  }
});

t.test('instancesIn answers a repeated range from one expansion; callers cannot disturb it', async (t) => {
  const cal = parseCalendar(wrap('BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n'));
  const a = instancesIn(cal, D('2026-01-01T00:00:00Z'), D('2026-02-01T00:00:00Z'));
  a.pop();
  const b = instancesIn(cal, D('2026-01-01T00:00:00Z'), D('2026-02-01T00:00:00Z'));
  t.equal(b.length, 4);
  t.equal(instancesIn(cal, D('2026-02-01T00:00:00Z'), D('2026-03-01T00:00:00Z')).length, 4, 'another range is computed anew');
  t.equal(instancesIn(cal, D('2026-01-01T00:00:00Z'), D('2026-02-01T00:00:00Z')).length, 4);
});

t.test('plain DAILY/WEEKLY rules expand by arithmetic to exactly what ical.js iterates', async (t) => {
  const kinds: [string, string, (u: string) => string][] = [
    ['UTC', 'DTSTART:20260301T093000Z\r\nDTEND:20260301T103000Z\r\n', (d) => `${d}T093000Z`],
    ['floating', 'DTSTART:20260304T093000\r\nDTEND:20260304T103000\r\n', (d) => `${d}T093000`],
    ['all-day', 'DTSTART;VALUE=DATE:20260307\r\nDTEND;VALUE=DATE:20260308\r\n', (d) => d],
  ];
  const rules = ['FREQ=DAILY', 'FREQ=DAILY;INTERVAL=3', 'FREQ=WEEKLY', 'FREQ=WEEKLY;INTERVAL=2', 'FREQ=WEEKLY;BYDAY=MO,WE',
    'FREQ=WEEKLY;BYDAY=SU', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'FREQ=WEEKLY;BYDAY=SA,SU'];
  const [rs, re] = [D('2026-01-01T00:00:00Z'), D('2027-01-01T00:00:00Z')];
  for (const [kind, dates, until] of kinds) {
    for (const rule of rules) {
      for (const bound of ['', ';COUNT=10', ';COUNT=1', `;UNTIL=${until('20260415')}`, `;UNTIL=${until('20260311')}`]) {
        const text = wrap(`BEGIN:VEVENT\r\nUID:p\r\nDTSTAMP:20260101T000000Z\r\n${dates}RRULE:${rule}${bound}\r\nEND:VEVENT\r\n`);
        const got = instancesIn(parseCalendar(text), rs, re).map((i) => i.start);
        // the oracle: ical.js's own iterator on a separate parse
        const comp = ICAL.Component.fromString(text).getFirstSubcomponent('vevent')!;
        const it = new ICAL.Event(comp).iterator();
        const want: number[] = [];
        for (let n = it.next(); n && want.length < 1000; n = it.next()) {
          const ms = n.isDate ? Date.UTC(n.year, n.month - 1, n.day) : n.toUnixTime() * 1000;
          if (ms >= re) break;
          want.push(ms);
        }
        t.same(got, want, `${kind} ${rule}${bound}`);
      }
    }
  }
});
