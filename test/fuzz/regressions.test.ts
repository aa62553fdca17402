/**
 * Regressions found by the fuzzers (issue 9), replayed over the wire: each input must get a
 * clean 4xx and leave the server answering.
 */
import t from 'tap';
import { startTestServer } from '../helpers/server.js';
import { request } from '../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const ics = (extra: string, uid = 'u1') =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\n${extra}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const query = '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
  + '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20230101T000000Z" end="20250101T000000Z"/>'
  + '</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>';

t.test('iCalendar inputs that ical.js decodes lazily', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const cal = `${s.url}/caldav/alice/calendars/default`;
  const rows: [string, string][] = [
    ['truncated DTSTART', 'DTSTART:2024'],
    ['bad UNTIL', 'DTSTART:20240102T100000Z\r\nRRULE:FREQ=DAILY;UNTIL=x'],
    ['RRULE without FREQ', 'DTSTART:20240102T100000Z\r\nRRULE:FOO'],
    ['bad DTEND', 'DTSTART:20240102T100000Z\r\nDTEND:20241'],
  ];
  for (const [name, extra] of rows) {
    const uid = name.replace(/\W/g, '-');
    const r = await request(`${cal}/${uid}.ics`, { method: 'PUT', basic: A, body: ics(extra, uid), headers: { 'content-type': 'text/calendar' } });
    t.ok(r.status >= 400 && r.status < 500, `${name}: PUT is a 4xx (got ${r.status} ${r.text.slice(0, 80)})`);
  }
  const rep = await request(`${cal}/`, { method: 'REPORT', basic: A, body: query, headers: { depth: '1', 'content-type': 'application/xml' } });
  t.equal(rep.status, 207, 'a calendar-query over the calendar still works');
  t.equal((await request(`${s.url}/health`)).status, 200, 'server still up');
});

t.test('deeply nested Drive PROPFIND body is a 400', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const body = '<a>'.repeat(5000) + '</a>'.repeat(5000);
  const r = await request(`${s.url}/drive/`, { method: 'PROPFIND', basic: A, body, headers: { depth: '1', 'content-type': 'application/xml' } });
  t.equal(r.status, 400, `got ${r.status} ${r.text.slice(0, 80)}`);
  const r2 = await request(`${s.url}/drive/`, { method: 'PROPPATCH', basic: A, body, headers: { 'content-type': 'application/xml' } });
  t.equal(r2.status, 400, `PROPPATCH got ${r2.status}`);
});

t.test('truncated or boundary-less multipart upload to the drive is a 400, never a crash', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const rows: [string, string, string][] = [
    ['truncated part', 'multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nhello'],
    ['empty body', 'multipart/form-data; boundary=B', ''],
    ['field then junk', 'multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nv\r\n--B\r\nContent-Dispositi'],
    ['no boundary', 'multipart/form-data', '--B\r\n\r\n'],
  ];
  for (const [name, type, body] of rows) {
    const r = await request(`${s.url}/drive/up`, { method: 'POST', basic: A, body, headers: { 'content-type': type } });
    t.equal(r.status, 400, `${name}: ${r.status} ${r.text.slice(0, 80)}`);
  }
  t.equal((await request(`${s.url}/drive/`, { basic: A })).status, 200, 'server still answers');
});
