import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];

const ev = (uid: string, start: string, end: string, extra = '') => `BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:${uid}\r
DTSTAMP:20260101T000000Z\r
DTSTART:${start}\r
DTEND:${end}\r
SUMMARY:Event ${uid}\r
${extra}END:VEVENT\r
END:VCALENDAR\r
`;

t.test('basic caldav', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  const r1 = await request(`${base}e1.ics`, { method: 'PUT', basic: A, body: ev('e1', '20260310T100000Z', '20260310T110000Z'), headers: { 'content-type': 'text/calendar' } });
  t.equal(r1.status, 201, r1.text);
  const g = await request(`${base}e1.ics`, { basic: A });
  t.equal(g.status, 200);
  t.match(g.text, /UID:e1/);
  const pf = await request(base, { method: 'PROPFIND', basic: A, headers: { depth: '1' } });
  t.equal(pf.status, 207, pf.text);
  console.log(pf.text.slice(0, 3000));
});
