import t from 'tap';
import { createDAVClient } from 'tsdav';
import { startTestServer } from '../../helpers/server.js';
import { ev } from './helpers.js';

t.test('tsdav as a real client: discovery, calendars, CRUD, time-range, sync', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const client = await createDAVClient({
    serverUrl: s.url,
    credentials: { username: 'alice@example.com', password: 'pw-alice' },
    authMethod: 'Basic',
    defaultAccountType: 'caldav',
  });
  const cals = await client.fetchCalendars();
  const names = cals.map((c) => c.url.replace(s.url, '')).sort();
  t.same(names, ['/caldav/alice/calendars/Schedule-Inbox/', '/caldav/alice/calendars/default/']);
  const cal = cals.find((c) => c.url.endsWith('/default/'))!;
  t.ok(cal.ctag, 'ctag');
  t.ok(cal.syncToken, 'sync token');

  const created = await client.createCalendarObject({ calendar: cal, filename: 'ts1.ics', iCalString: ev('ts1', '20260310T100000Z', '20260310T110000Z') });
  t.equal(created.status, 201);
  await client.createCalendarObject({ calendar: cal, filename: 'ts2.ics', iCalString: ev('ts2', '20260510T100000Z', '20260510T110000Z') });
  const march = await client.fetchCalendarObjects({ calendar: cal, timeRange: { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' } });
  t.same(march.map((o) => o.url.replace(s.url, '')), ['/caldav/alice/calendars/default/ts1.ics']);
  t.match(march[0]!.data, 'UID:ts1');
  t.match(march[0]!.etag, /[0-9a-f]{32}/);

  const all = await client.fetchCalendarObjects({ calendar: cal });
  t.equal(all.length, 2);
  const mg = await client.calendarMultiGet({ url: cal.url, props: { 'd:getetag': {}, 'c:calendar-data': {} }, objectUrls: all.map((o) => o.url), depth: '1' });
  t.equal(mg.length, 2);

  const upd = await client.updateCalendarObject({ calendarObject: { ...march[0]!, data: ev('ts1', '20260310T120000Z', '20260310T130000Z') } });
  t.ok(upd.ok, 'update with If-Match');
  const stale = await client.updateCalendarObject({ calendarObject: { ...march[0]!, data: ev('ts1', '20260310T140000Z', '20260310T150000Z') } });
  t.equal(stale.status, 412, 'stale etag');

  const del = await client.deleteCalendarObject({ calendarObject: { url: all.find((o) => o.url.endsWith('ts2.ics'))!.url, etag: all.find((o) => o.url.endsWith('ts2.ics'))!.etag } });
  t.ok(del.ok);
  const synced = await client.syncCalendars({ oldCalendars: [cal], detailedResult: true }) as any;
  t.equal(synced.updated.length, 1, 'calendar reported changed');
  const changes = await client.syncCollection({ url: cal.url, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: cal.syncToken as string });
  const gone = changes.filter((r) => r.status === 404).map((r) => r.href);
  const kept = changes.filter((r) => r.status !== 404 && r.href?.endsWith('.ics')).map((r) => r.href);
  t.same(gone, ['/caldav/alice/calendars/default/ts2.ics'], 'deletion as 404');
  t.same(kept, ['/caldav/alice/calendars/default/ts1.ics'], 'update listed');
  const mk = await client.makeCalendar({ url: `${s.url}/caldav/alice/calendars/tsdav/`, props: { displayname: 'From tsdav' } });
  t.ok(mk.length === 0 || mk[0]!.ok !== false);
  const after = await client.fetchCalendars();
  t.ok(after.some((c) => c.displayName === 'From tsdav'));
});
