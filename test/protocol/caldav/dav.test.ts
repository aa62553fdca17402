import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';
import { ALICE, dav, ev, hrefs, rangeQuery } from './helpers.js';

t.test('discovery, OPTIONS, auth, every verb reaches its handler', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  const wk = await request(`${s.url}/.well-known/caldav`);
  t.equal(wk.status, 301);
  t.equal(wk.headers.get('location'), '/caldav/');
  const opt = await request(`${s.url}/caldav/alice/calendars/default/`, { method: 'OPTIONS' });
  t.equal(opt.status, 200);
  t.equal(opt.headers.get('dav'), '1, 2, 3, calendar-access, calendar-schedule, addressbook');
  t.match(opt.headers.get('allow'), /MKCALENDAR/);
  const noauth = await request(`${s.url}/caldav/alice/`, { method: 'PROPFIND' });
  t.equal(noauth.status, 401);
  t.match(noauth.headers.get('www-authenticate'), /Basic/);
  const other = await dav(`${s.url}/caldav/bob/calendars/`, 'PROPFIND');
  t.equal(other.status, 403, 'another user is 403');
  const full = await dav(`${s.url}/caldav/alice@example.com/`, 'PROPFIND', undefined, { depth: '0' });
  t.equal(full.status, 207, 'user@domain accepted');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  await dav(`${base}v.ics`, 'PUT', ev('v', '20260101T100000Z', '20260101T110000Z'));
  // each verb answers with its own handler's status (never the dispatcher's 404/405)
  const rows: [string, string, string | undefined, number][] = [
    ['PROPFIND', base, undefined, 207],
    ['REPORT', base, '<x:foo xmlns:x="urn:x"/>', 403],
    ['GET', `${base}v.ics`, undefined, 200],
    ['HEAD', `${base}v.ics`, undefined, 200],
    ['PROPPATCH', base, '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X</D:displayname></D:prop></D:set></D:propertyupdate>', 207],
    ['MKCALENDAR', `${s.url}/caldav/alice/calendars/verbs/`, undefined, 201],
    ['LOCK', `${base}v.ics`, '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>', 200],
    ['UNLOCK', `${base}v.ics`, undefined, 409],
    ['PUT', `${base}w.ics`, ev('w', '20260101T100000Z', '20260101T110000Z'), 201],
    ['DELETE', `${base}w.ics`, undefined, 204],
  ];
  for (const [m, url, body, status] of rows) {
    const r = await dav(url, m, body);
    t.equal(r.status, status, `${m} ${r.text.slice(0, 200)}`);
  }
});

t.test('PROPFIND depths and properties', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const home = `${s.url}/caldav/alice/calendars/`;
  await dav(`${home}default/a.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T110000Z'));
  const body = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:I="http://apple.com/ns/ical/" xmlns:Z="urn:zzz"><D:prop>
    <D:current-user-principal/><C:calendar-home-set/><C:calendar-user-address-set/><CS:getctag/><D:sync-token/><I:calendar-color/>
    <C:supported-calendar-component-set/><D:supported-report-set/><D:getcontenttype/><D:getetag/><D:resourcetype/><D:owner/><D:current-user-privilege-set/><Z:unknown/></D:prop></D:propfind>`;
  const p = await dav(`${s.url}/caldav/alice/`, 'PROPFIND', body, { depth: '0' });
  t.equal(p.status, 207);
  t.match(p.text, '<C:calendar-home-set><D:href>/caldav/alice/calendars/</D:href></C:calendar-home-set>');
  t.match(p.text, 'mailto:alice@example.com');
  t.match(p.text, /<X:unknown xmlns:X="urn:zzz"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
  const d0 = await dav(home, 'PROPFIND', body, { depth: '0' });
  t.same(hrefs(d0.text), ['/caldav/alice/calendars/']);
  const d1 = await dav(home, 'PROPFIND', body, { depth: '1' });
  t.same(hrefs(d1.text).sort(), ['/caldav/alice/calendars/', '/caldav/alice/calendars/Schedule-Inbox/', '/caldav/alice/calendars/default/']);
  t.match(d1.text, /<CS:getctag>2<\/CS:getctag>/);
  t.match(d1.text, '<C:comp name="VEVENT"/>');
  t.match(d1.text, '<C:calendar-multiget/>');
  const inf = await dav(home, 'PROPFIND', body, { depth: 'infinity' });
  t.ok(hrefs(inf.text).includes('/caldav/alice/calendars/default/a.ics'));
  t.match(inf.text, /<D:getcontenttype>text\/calendar; charset=utf-8; component=vevent<\/D:getcontenttype>/);
  const all = await dav(`${home}default/`, 'PROPFIND', '', { depth: '1' });
  t.equal(hrefs(all.text).length, 2, 'allprop with empty body');
  const bad = await dav(home, 'PROPFIND', '<D:propfind xmlns:D="DAV:"><D:prop>', { depth: '0' });
  t.equal(bad.status, 400, 'malformed XML');
  const ent = await dav(home, 'PROPFIND', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><D:propfind xmlns:D="DAV:"/>', { depth: '0' });
  t.equal(ent.status, 400, 'DOCTYPE refused');
});

t.test('PUT preconditions, validation, GET, DELETE', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  const c = await dav(`${base}x.ics`, 'PUT', ev('x', '20260101T100000Z', '20260101T110000Z'), { 'if-none-match': '*' });
  t.equal(c.status, 201);
  const etag = c.headers.get('etag')!;
  t.match(etag, /^"[0-9a-f]{32}"$/);
  t.equal((await dav(`${base}x.ics`, 'PUT', ev('x', '20260101T100000Z', '20260101T110000Z'), { 'if-none-match': '*' })).status, 412);
  t.equal((await dav(`${base}x.ics`, 'PUT', ev('x', '20260101T100000Z', '20260101T120000Z'), { 'if-match': '"deadbeef"' })).status, 412);
  const u = await dav(`${base}x.ics`, 'PUT', ev('x', '20260101T100000Z', '20260101T120000Z'), { 'if-match': etag });
  t.equal(u.status, 204);
  t.not(u.headers.get('etag'), etag);
  const bad = await dav(`${base}bad.ics`, 'PUT', 'BEGIN:VCALENDAR\r\nnot ical');
  t.equal(bad.status, 400);
  t.match(bad.json.error, /iCalendar/);
  t.equal((await dav(`${base}dup.ics`, 'PUT', ev('x', '20260101T100000Z', '20260101T110000Z'))).status, 409, 'UID used by x.ics');
  const g = await dav(`${base}x.ics`, 'GET');
  t.equal(g.headers.get('etag'), u.headers.get('etag'));
  t.match(g.headers.get('content-type'), /text\/calendar/);
  t.equal((await dav(`${base}x.ics`, 'GET', undefined, { 'if-none-match': g.headers.get('etag')! })).status, 304);
  t.equal((await dav(`${base}x.ics`, 'DELETE', undefined, { 'if-match': '"nope"' })).status, 412);
  t.equal((await dav(`${base}x.ics`, 'DELETE', undefined, { 'if-match': g.headers.get('etag')! })).status, 204);
  t.equal((await dav(`${base}x.ics`, 'GET')).status, 404);
  t.equal((await dav(`${base}x.ics`, 'DELETE')).status, 404);
  // overrides stay in the master's file
  const withOverride = ev('r', '20260105T100000Z', '20260105T110000Z', 'RRULE:FREQ=DAILY;COUNT=5\r\n').replace('END:VCALENDAR',
    'BEGIN:VEVENT\r\nUID:r\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260106T100000Z\r\nDTSTART:20260106T140000Z\r\nDTEND:20260106T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR');
  t.equal((await dav(`${base}r.ics`, 'PUT', withOverride)).status, 201);
  t.match((await dav(`${base}r.ics`, 'GET')).text, /RECURRENCE-ID:20260106T100000Z/);
});

t.test('MKCALENDAR, PROPPATCH, calendar DELETE', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const url = `${s.url}/caldav/alice/calendars/work/`;
  const mk = await dav(url, 'MKCALENDAR', `<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>
    <D:displayname>Work</D:displayname><I:calendar-color>#ff0000</I:calendar-color><C:calendar-description>Job</C:calendar-description></D:prop></D:set></C:mkcalendar>`);
  t.equal(mk.status, 201);
  t.equal((await dav(url, 'MKCALENDAR')).status, 405, 'exists');
  const pf = await dav(url, 'PROPFIND', undefined, { depth: '0' });
  t.match(pf.text, '<D:displayname>Work</D:displayname>');
  t.match(pf.text, '<I:calendar-color>#ff0000</I:calendar-color>');
  t.match(pf.text, '<C:calendar-description>Job</C:calendar-description>');
  const pp = await dav(url, 'PROPPATCH', `<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Office</D:displayname><I:calendar-color>#00ff00</I:calendar-color></D:prop></D:set></D:propertyupdate>`);
  t.equal(pp.status, 207);
  t.match(pp.text, 'HTTP/1.1 200 OK');
  t.match((await dav(url, 'PROPFIND', undefined, { depth: '0' })).text, '<D:displayname>Office</D:displayname>');
  const bad = await dav(url, 'PROPPATCH', `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Y</D:displayname><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>`);
  t.match(bad.text, /<D:getetag\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden/);
  t.match(bad.text, /<D:displayname\/><\/D:prop><D:status>HTTP\/1.1 424 Failed Dependency/);
  t.match((await dav(url, 'PROPFIND', undefined, { depth: '0' })).text, '<D:displayname>Office</D:displayname>', 'unchanged');
  t.equal((await dav(url, 'DELETE')).status, 204);
  t.equal((await dav(url, 'PROPFIND', undefined, { depth: '0' })).status, 404);
});

t.test('reports: multiget, query with DST expansion, free-busy', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  await dav(`${base}one.ics`, 'PUT', ev('one', '20260310T100000Z', '20260310T110000Z'));
  await dav(`${base}two.ics`, 'PUT', ev('two', '20260410T100000Z', '20260410T110000Z'));
  const weekly = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:wk\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260320T100000\r\nDTEND;TZID=Europe/Berlin:20260320T110000\r\nRRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Berlin:20260327T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  t.equal((await dav(`${base}wk.ics`, 'PUT', weekly)).status, 201);
  const mg = await dav(base, 'REPORT', `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
    <D:href>/caldav/alice/calendars/default/one.ics</D:href><D:href>${base}two.ics</D:href><D:href>/caldav/alice/calendars/default/missing.ics</D:href></C:calendar-multiget>`, { depth: '1' });
  t.equal(mg.status, 207);
  t.match(mg.text, 'UID:one');
  t.match(mg.text, 'UID:two');
  t.match(mg.text, /missing.ics<\/D:href><D:status>HTTP\/1.1 404/);
  const q = await dav(base, 'REPORT', rangeQuery('20260301T000000Z', '20260401T000000Z'), { depth: '1' });
  t.same(hrefs(q.text).sort(), ['/caldav/alice/calendars/default/one.ics', '/caldav/alice/calendars/default/wk.ics']);
  const x = await dav(base, 'REPORT', rangeQuery('20260315T000000Z', '20260410T000000Z', true), { depth: '1' });
  t.match(x.text, 'RECURRENCE-ID:20260320T090000Z', 'CET instance in UTC');
  t.notMatch(x.text, 'RECURRENCE-ID:20260327', 'EXDATE honoured');
  t.match(x.text, 'DTSTART:20260403T080000Z', 'CEST instance keeps 10:00 wall time');
  t.notMatch(x.text, 'RRULE');
  const tm = await dav(base, 'REPORT', `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:prop-filter name="SUMMARY"><C:text-match collation="i;ascii-casemap">event TWO</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, { depth: '1' });
  t.same(hrefs(tm.text), ['/caldav/alice/calendars/default/two.ics']);
  const badf = await dav(base, 'REPORT', `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VEVENT"/></C:filter></C:calendar-query>`);
  t.equal(badf.status, 403);
  // limit-recurrence-set keeps the master and only the overrides in range
  const ov = ev('lim', '20260105T100000Z', '20260105T110000Z', 'RRULE:FREQ=DAILY;COUNT=30\r\n').replace('END:VCALENDAR',
    'BEGIN:VEVENT\r\nUID:lim\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260106T100000Z\r\nDTSTART:20260106T140000Z\r\nDTEND:20260106T150000Z\r\nSUMMARY:early\r\nEND:VEVENT\r\n'
    + 'BEGIN:VEVENT\r\nUID:lim\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260120T100000Z\r\nDTSTART:20260120T140000Z\r\nDTEND:20260120T150000Z\r\nSUMMARY:late\r\nEND:VEVENT\r\nEND:VCALENDAR');
  t.equal((await dav(`${base}lim.ics`, 'PUT', ov)).status, 201);
  const lim = await dav(base, 'REPORT', rangeQuery('20260115T000000Z', '20260125T000000Z').replace('<C:calendar-data>', '<C:calendar-data><C:limit-recurrence-set start="20260115T000000Z" end="20260125T000000Z"/>'), { depth: '1' });
  t.match(lim.text, 'SUMMARY:late');
  t.notMatch(lim.text, 'SUMMARY:early');
  t.match(lim.text, 'RRULE:FREQ=DAILY;COUNT=30');
  // an unbounded rule and a rule whose every instance is EXDATEd never break a report
  await dav(`${base}unb.ics`, 'PUT', ev('unb', '20200101T100000Z', '20200101T110000Z', 'RRULE:FREQ=HOURLY\r\n'));
  await dav(`${base}gone.ics`, 'PUT', ev('gone', '20260301T100000Z', '20260301T110000Z', 'RRULE:FREQ=DAILY;COUNT=2\r\nEXDATE:20260301T100000Z,20260302T100000Z\r\n'));
  const far = await dav(base, 'REPORT', rangeQuery('20260301T000000Z', '20260303T000000Z', true), { depth: '1' });
  t.equal(far.status, 207);
  t.notOk(hrefs(far.text).includes('/caldav/alice/calendars/default/gone.ics'), 'all-EXDATEd event matches nothing');
  const fb = await dav(base, 'REPORT', `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:free-busy-query>`, { depth: '1' });
  t.equal(fb.status, 200);
  t.match(fb.text, 'BEGIN:VFREEBUSY');
  t.match(fb.text, 'FREEBUSY;FBTYPE=BUSY:20260310T100000Z/20260310T110000Z');
  t.match(fb.text, 'FREEBUSY;FBTYPE=BUSY:20260320T090000Z/20260320T100000Z');
});

t.test('sync-collection: initial, incremental, deletions, bad token, restart', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  const sync = (token: string, depth = '0') => dav(base, 'REPORT', `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`, { depth });
  await dav(`${base}a.ics`, 'PUT', ev('a', '20260101T100000Z', '20260101T110000Z'));
  await dav(`${base}b.ics`, 'PUT', ev('b', '20260101T100000Z', '20260101T110000Z'));
  const first = await sync('', '1');
  t.equal(first.status, 207);
  t.equal(hrefs(first.text).length, 2);
  const tok = /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(first.text)![1]!;
  await dav(`${base}a.ics`, 'DELETE');
  await dav(`${base}c.ics`, 'PUT', ev('c', '20260101T100000Z', '20260101T110000Z'));
  const inc = await sync(tok);
  t.match(inc.text, /a\.ics<\/D:href><D:status>HTTP\/1.1 404 Not Found/);
  t.match(inc.text, /c\.ics<\/D:href><D:propstat>/);
  t.notMatch(inc.text, 'b.ics');
  const bad = await sync('http://example.com/bogus');
  t.equal(bad.status, 403);
  t.match(bad.text, '<D:valid-sync-token/>');
  const tok2 = /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(inc.text)![1]!;
  // tokens survive a restart of the calendar state (fresh service over the same mail root)
  const { CalendarService } = await import('../../../src/services/calendar.js');
  const fresh = new CalendarService(s.root, new (await import('../../../src/actors/registry.js')).ActorRegistry(s.root), s.services.changes, s.services.pool, s.services.log);
  const again = await fresh.changesSince('alice@example.com', 'default', tok2);
  t.same(again.changed, []);
  t.equal(again.token, tok2);
  const fromFirst = await fresh.changesSince('alice@example.com', 'default', tok);
  t.same(fromFirst.deleted, ['a']);
});

t.test('LOCK / UNLOCK on event resources', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const url = `${s.url}/caldav/alice/calendars/default/l.ics`;
  await dav(url, 'PUT', ev('l', '20260101T100000Z', '20260101T110000Z'));
  const lk = await dav(url, 'LOCK', '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>me</D:href></D:owner></D:lockinfo>', { timeout: 'Second-60' });
  t.equal(lk.status, 200);
  const token = lk.headers.get('lock-token')!;
  t.match(token, /^<opaquelocktoken:/);
  t.equal((await dav(url, 'PUT', ev('l', '20260101T100000Z', '20260101T120000Z'))).status, 423);
  t.equal((await dav(url, 'LOCK', '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>')).status, 423);
  t.equal((await dav(url, 'PUT', ev('l', '20260101T100000Z', '20260101T120000Z'), { if: `(${token})` })).status, 204);
  t.equal((await dav(url, 'UNLOCK', undefined, { 'lock-token': token })).status, 204);
  t.equal((await dav(url, 'DELETE')).status, 204);
  t.equal((await dav(`${s.url}/caldav/alice/calendars/default/`, 'LOCK', '<D:lockinfo xmlns:D="DAV:"/>')).status, 403);
});
