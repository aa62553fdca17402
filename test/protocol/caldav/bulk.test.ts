/**
 * The paths that answer for many events at once: PROPFIND Depth 1 and sync-collection plan the
 * asked properties once per request (same response per event as calendar-multiget builds one
 * by one), an expand query sends non-recurring UTC events as stored without the worker, and a
 * refused PUT leaves no staged file behind.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { calendarDir } from '../../../src/store/layout.js';
import { dav, ev, hrefs, rangeQuery } from './helpers.js';

/** The <D:response> of `href` in a multistatus body. */
const responseOf = (xml: string, href: string): string | undefined =>
  [...xml.matchAll(/<D:response>.*?<\/D:response>/gs)].map((m) => m[0]).find((r) => r.includes(`<D:href>${href}</D:href>`));

t.test('PROPFIND Depth 1 and sync-collection answer each event exactly like calendar-multiget', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  const path = '/caldav/alice/calendars/default/';
  await dav(`${base}a.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T110000Z'));
  await dav(`${base}b%20c.ics`, 'PUT', ev('b c', '20260102T100000Z', '20260102T110000Z', 'DESCRIPTION:x < y & "z"\r\n'));
  await dav(`${base}t.ics`, 'PUT', ev('t', '20260103T100000Z', '20260103T110000Z').replace('BEGIN:VEVENT', 'BEGIN:VTODO').replace('END:VEVENT', 'END:VTODO').replace(/DTEND:[^\r]*\r\n/, ''));
  const props = '<D:getetag/><D:getcontenttype/><D:getcontentlength/><D:getlastmodified/><D:resourcetype/><D:supportedlock/><D:owner/>'
    + '<D:current-user-privilege-set/><CS:getctag/><Z:unknown/><C:calendar-data/>';
  const ns = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:Z="urn:zzz"';
  const pf = await dav(base, 'PROPFIND', `<D:propfind ${ns}><D:prop>${props}</D:prop></D:propfind>`, { depth: '1' });
  const sync = await dav(base, 'REPORT', `<D:sync-collection ${ns}><D:sync-token/><D:sync-level>1</D:sync-level><D:prop>${props}</D:prop></D:sync-collection>`);
  const names = ['a.ics', 'b%20c.ics', 't.ics'];
  const mg = await dav(base, 'REPORT', `<C:calendar-multiget ${ns}><D:prop>${props}</D:prop>${names.map((n) => `<D:href>${path}${n}</D:href>`).join('')}</C:calendar-multiget>`);
  t.equal(pf.status, 207);
  t.equal(sync.status, 207);
  t.equal(mg.status, 207);
  for (const n of names) {
    const want = responseOf(mg.text, `${path}${n}`);
    t.ok(want, `multiget answers ${n}`);
    t.equal(responseOf(pf.text, `${path}${n}`), want, `PROPFIND Depth 1 answers ${n} like multiget`);
    t.equal(responseOf(sync.text, `${path}${n}`), want, `sync-collection answers ${n} like multiget`);
  }
  t.match(responseOf(pf.text, `${path}b%20c.ics`), 'DESCRIPTION:x &lt; y &amp; &quot;z&quot;', 'calendar-data escaped');
  t.match(responseOf(pf.text, `${path}t.ics`), 'component=vtodo');
  t.match(responseOf(pf.text, `${path}a.ics`), /<CS:getctag\/><X:unknown xmlns:X="urn:zzz"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
  // lockdiscovery is answered per event: the locked one shows its token, the others an empty property
  const lock = await dav(`${base}a.ics`, 'LOCK', '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>');
  const token = /<D:href>(opaquelocktoken:[^<]+)<\/D:href>/.exec(lock.text)?.[1];
  t.ok(token);
  const ld = await dav(base, 'PROPFIND', `<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/><D:getetag/></D:prop></D:propfind>`, { depth: '1' });
  t.match(responseOf(ld.text, `${path}a.ics`), token!);
  t.match(responseOf(ld.text, `${path}t.ics`), '<D:lockdiscovery/>');
  // allprop still lists every live property (and no calendar-data)
  const all = await dav(base, 'PROPFIND', undefined, { depth: '1' });
  t.match(responseOf(all.text, `${path}a.ics`), '<D:getlastmodified>');
  t.notMatch(all.text, 'BEGIN:VCALENDAR');
});

t.test('expand: stored UTC events sent as they are, zoned and floating ones rewritten to UTC', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  const utc = ev('utc', '20260310T100000Z', '20260310T110000Z');
  const zoned = ev('zoned', '20260311T100000', '20260311T110000').replace(/DTSTART:/, 'DTSTART;TZID=Europe/Berlin:').replace(/DTEND:/, 'DTEND;TZID=Europe/Berlin:');
  const floating = ev('floating', '20260312T100000', '20260312T110000');
  const duration = ev('dur', '20260313T100000Z', '20260313T110000Z').replace(/DTEND:[^\r]*/, 'DURATION:PT2H');
  const allday = ev('day', '20260314', '20260315').replace('DTSTART:', 'DTSTART;VALUE=DATE:').replace('DTEND:', 'DTEND;VALUE=DATE:');
  const outside = ev('outside', '20260501T100000Z', '20260501T110000Z');
  for (const [n, text] of Object.entries({ utc, zoned, floating, dur: duration, day: allday, outside })) {
    t.equal((await dav(`${base}${n}.ics`, 'PUT', text)).status, 201, n);
  }
  const x = await dav(base, 'REPORT', rangeQuery('20260301T000000Z', '20260401T000000Z', true), { depth: '1' });
  t.equal(x.status, 207);
  t.same(hrefs(x.text).sort(), ['day', 'dur', 'floating', 'utc', 'zoned'].map((n) => `/caldav/alice/calendars/default/${n}.ics`));
  const data = (n: string) => /<C:calendar-data>([^<]*)<\/C:calendar-data>/.exec(responseOf(x.text, `/caldav/alice/calendars/default/${n}.ics`) ?? '')?.[1];
  t.equal(data('utc'), utc, 'UTC event as stored');
  t.equal(data('day'), allday, 'all-day event as stored');
  t.match(data('zoned'), 'DTSTART:20260311T090000Z', 'TZID rewritten to UTC');
  t.notMatch(data('zoned'), 'TZID');
  t.match(data('floating'), 'DTSTART:20260312T100000Z', 'floating read as UTC');
  t.match(data('dur'), 'DTEND:20260313T120000Z', 'DURATION turned into DTEND');
  // a narrower range excludes by the index alone
  const none = await dav(base, 'REPORT', rangeQuery('20260310T110000Z', '20260311T000000Z', true), { depth: '1' });
  t.same(hrefs(none.text), []);
});

t.test('a refused PUT leaves no staged file; an accepted one leaves only the event', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  t.equal((await dav(`${base}a.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T110000Z'))).status, 201);
  t.equal((await dav(`${base}a.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T120000Z'), { 'if-none-match': '*' })).status, 412);
  t.equal((await dav(`${base}a.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T120000Z'), { 'if-match': '"nope"' })).status, 412);
  t.equal((await dav(`${base}b.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T120000Z'))).status, 409, 'UID of another resource');
  const eventsDir = join(calendarDir(s.root, 'example.com', 'alice', 'default'), 'events');
  t.same(readdirSync(eventsDir).sort(), ['a.ics']);
  const got = await dav(`${base}a.ics`, 'GET');
  t.match(got.text, 'DTEND:20260101T110000Z', 'the first version stands');
});
