import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { WebClient } from '../../helpers/webmail.js';

const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

t.test('calendar screens: views, create, edit, recurrence, attendees, RSVP, import, visibility', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  const base = s.config.public_url;
  const c = new WebClient(s.url);
  await c.login('alice@example.com', 'pw-alice');
  const today = ymd(Date.now());

  const month = await c.get('/webmail/calendar/month');
  t.equal(month.status, 200);
  t.ok(month.$('table.cal-grid.month'), '.cal-grid.month');
  const row = month.$('li.cal-row[data-calendar="default"]')!;
  t.equal(row.getAttribute('data-visible'), 'true');
  const csrf = WebClient.csrf(month);

  const form = await c.get(`/webmail/calendar/event/new?date=${today}`);
  t.ok(form.$('form.event-form input[name=summary]'));
  const noToken = await c.post('/webmail/calendar/event/new', { calendar: 'default', summary: 'X', date: today });
  t.equal(noToken.status, 403, 'CSRF refused');

  const made = await c.post('/webmail/calendar/event/new', {
    csrf, calendar: 'default', summary: 'Team sync', date: today, start: '10:00', end: '11:00', location: 'Room 1',
    repeat: 'DAILY', count: '3', attendees: 'bob@example.com',
  });
  t.equal(made.status, 303);
  const loc = made.headers.get('location')!;
  t.match(loc, new RegExp(`^${base}/webmail/calendar/event/default/[0-9a-f-]{36}$`));
  const uid = loc.split('/').pop()!;
  const detail = await c.get(loc);
  const art = detail.$(`article.event-detail[data-uid="${uid}"][data-calendar="default"]`);
  t.ok(art, '.event-detail');
  t.equal(detail.$('.event-summary')!.textContent, 'Team sync');
  t.ok(detail.$('li.attendee[data-email="bob@example.com"][data-partstat="NEEDS-ACTION"]'));

  for (const view of ['month', 'week', 'day', 'agenda']) {
    const p = await c.get(`/webmail/calendar/${view}?date=${today}`);
    t.equal(p.status, 200, view);
    const grid = view === 'agenda' ? p.$('.agenda-list') : p.$(`.cal-grid.${view}`);
    t.ok(grid, `${view} grid`);
    const chips = p.$$(`.cal-event[data-uid="${uid}"][data-calendar="default"]`);
    t.ok(chips.length >= 1, `${view} shows the event`);
    if (view === 'day') t.equal(chips.length, 1);
    if (view === 'agenda') t.equal(chips.length, 3, 'three daily occurrences');
    for (const a of p.$$('a[href], form[action]')) {
      const url = a.getAttribute('href') ?? a.getAttribute('action');
      t.ok(url!.startsWith(base), `absolute ${url}`);
    }
  }
  t.equal((await c.get('/webmail/calendar/year')).status, 404);
  t.equal((await c.get('/webmail/calendar/month?date=2025-13-45')).status, 400);

  // iMIP: bob got the invitation and answers from his webmail
  let bobInbox = await s.services.mail.folder('bob@example.com', 'INBOX');
  for (let i = 0; i < 100 && bobInbox.messages.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50)); // iMIP runs after the PUT returns
    bobInbox = await s.services.mail.folder('bob@example.com', 'INBOX');
  }
  t.equal(bobInbox.messages.length, 1, 'invitation mailed to bob');
  const b = new WebClient(s.url);
  await b.login('bob@example.com', 'pw-bob');
  const bobEvent = await b.get(`/webmail/calendar/event/Schedule-Inbox/${uid}`);
  t.equal(bobEvent.status, 200, 'imported into bob\'s Schedule-Inbox');
  t.ok(bobEvent.$('form.rsvp-form button.rsvp-accepted'));
  const rsvp = await b.post(`/webmail/calendar/event/Schedule-Inbox/${uid}/respond`, { csrf: WebClient.csrf(bobEvent), response: 'ACCEPTED' });
  t.equal(rsvp.status, 303);
  t.ok((await b.get(`/webmail/calendar/event/Schedule-Inbox/${uid}`)).$('li.attendee[data-email="bob@example.com"][data-partstat="ACCEPTED"]'));
  const badRsvp = await b.post(`/webmail/calendar/event/Schedule-Inbox/${uid}/respond`, { csrf: WebClient.csrf(bobEvent), response: 'MAYBE' });
  t.equal(badRsvp.status, 400);

  // the organizer's copy gets bob's REPLY (asynchronously, through iMIP)
  for (let i = 0; i < 100; i++) {
    if ((await s.services.calendar.read('alice@example.com', 'default', uid))?.text.includes('PARTSTAT=ACCEPTED')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok((await c.get(loc)).$('li.attendee[data-email="bob@example.com"][data-partstat="ACCEPTED"]'), 'REPLY reached the organizer');

  // edit
  const edit = await c.get(`${loc}/edit`);
  t.equal((edit.$('input[name=summary]') as any).getAttribute('value'), 'Team sync');
  const saved = await c.post(`${loc}/edit`, { csrf, summary: 'Team sync (moved)', date: today, start: '14:00', end: '15:00', repeat: '', attendees: 'bob@example.com' });
  t.equal(saved.status, 303);
  const day = await c.get(`/webmail/calendar/day?date=${today}`);
  t.match(day.$(`.cal-event[data-uid="${uid}"]`)!.textContent, /14:00 Team sync \(moved\)/);
  const agenda = await c.get(`/webmail/calendar/agenda?date=${today}`);
  t.equal(agenda.$$(`.cal-event[data-uid="${uid}"]`).length, 1, 'no longer recurring');

  // import a raw text/calendar body and through the form
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:imported-1@test', 'DTSTAMP:20250101T000000Z',
    `DTSTART:${today.replace(/-/g, '')}T080000Z`, `DTEND:${today.replace(/-/g, '')}T083000Z`, 'SUMMARY:Imported breakfast', 'END:VEVENT',
    'END:VCALENDAR', ''].join('\r\n');
  const rawNoToken = await fetch(`${s.url}/webmail/calendar/import`, { method: 'POST', body: ics, redirect: 'manual',
    headers: { 'content-type': 'text/calendar', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.equal(rawNoToken.status, 303, 'a raw text/calendar body needs no token (not sendable cross-site)');
  const formNoToken = await c.post('/webmail/calendar/import', { calendar: 'default', ics });
  t.equal(formNoToken.status, 403, 'the import form needs its token');
  const raw = await fetch(`${s.url}/webmail/calendar/import?csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body: ics, redirect: 'manual',
    headers: { 'content-type': 'text/calendar', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.equal(raw.status, 303);
  t.ok((await c.get(`/webmail/calendar/day?date=${today}`)).$('.cal-event[data-uid="imported-1@test"]'), 'imported event shows');
  const badIcs = await fetch(`${s.url}/webmail/calendar/import?csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body: 'BEGIN:NOPE', redirect: 'manual',
    headers: { 'content-type': 'text/calendar', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.equal(badIcs.status, 400);

  // visibility persists to preferences.json
  const hide = await c.post('/webmail/calendar/visibility', { csrf, calendar: 'default', back: `${base}/webmail/calendar/month` });
  t.equal(hide.status, 303);
  const prefs = JSON.parse(readFileSync(join(s.root, 'domains/example.com/users/alice/preferences.json'), 'utf8'));
  t.equal(prefs['calendar_visible.default'], false);
  const hidden = await c.get(`/webmail/calendar/day?date=${today}`);
  t.equal(hidden.$('li.cal-row[data-calendar="default"]')!.getAttribute('data-visible'), 'false');
  t.notOk(hidden.$(`.cal-event[data-calendar="default"]`), 'hidden calendar draws nothing');
  await c.post('/webmail/calendar/visibility', { csrf, calendar: 'default' });

  // script-style fields: title, ISO start/end, a raw RRULE, a multi-day event
  const scripted = await c.post('/webmail/calendar/event/new', {
    csrf, title: 'Scripted', start: `${today}T07:15`, end: `${today}T07:45`, rrule: 'FREQ=DAILY;COUNT=2',
  });
  t.equal(scripted.status, 303);
  const sUid = scripted.headers.get('location')!.split('/').pop()!;
  const sAgenda = await c.get(`/webmail/calendar/agenda?date=${today}`);
  t.equal(sAgenda.$$(`.cal-event[data-uid="${sUid}"]`).length, 2, 'raw RRULE honoured');
  t.match(sAgenda.$(`.cal-event[data-uid="${sUid}"]`)!.textContent, /07:15 Scripted/);
  const next2 = ymd(Date.parse(`${today}T00:00:00Z`) + 2 * 86_400_000);
  const multi = await c.post('/webmail/calendar/event/new', { csrf, summary: 'Trip', date: today, end_date: next2, all_day: 'on' });
  t.equal(multi.status, 303);
  const mUid = multi.headers.get('location')!.split('/').pop()!;
  t.equal((await c.get(`/webmail/calendar/week?date=${next2}`)).$$(`.cal-event[data-uid="${mUid}"]`).length >= 1, true, 'multi-day shows on its last day');
  t.equal((await c.post('/webmail/calendar/event/new', { csrf, title: 'Bad', start: `${today}T07:15`, rrule: 'NOPE' })).status, 400);
  t.equal((await c.post('/webmail/calendar/event/new', { csrf, title: 'Bad', date: today, end_date: '2000-01-01' })).status, 400);

  // delete
  const del = await c.post(`${loc}/delete`, { csrf });
  t.equal(del.status, 303);
  t.equal((await c.get(loc)).status, 404);
});
