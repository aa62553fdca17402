import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { ReminderService } from '../../../src/services/reminders.js';
import { dav } from './helpers.js';

const D = (s: string) => Date.parse(s);

const withAlarm = (uid: string, start: string, rule: string, trigger: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\n`
  + `DTSTART:${start}\r\nDURATION:PT1H\r\nSUMMARY:${uid}\r\n${rule}BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n${trigger}\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

t.test('reminders: relative, absolute, recurring; once per occurrence, across restarts', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = `${s.url}/caldav/alice/calendars/default/`;
  t.equal((await dav(`${base}rel.ics`, 'PUT', withAlarm('rel', '20260310T100000Z', '', 'TRIGGER:-PT15M'))).status, 201);
  t.equal((await dav(`${base}abs.ics`, 'PUT', withAlarm('abs', '20260310T120000Z', '', 'TRIGGER;VALUE=DATE-TIME:20260310T094700Z'))).status, 201);
  t.equal((await dav(`${base}rec.ics`, 'PUT', withAlarm('rec', '20260301T100000Z', 'RRULE:FREQ=DAILY\r\n', 'TRIGGER;RELATED=END:-PT65M'))).status, 201);
  t.equal((await dav(`${base}none.ics`, 'PUT', withAlarm('none', '20260310T100000Z', '', 'TRIGGER:-P1D').replace(/BEGIN:VALARM[\s\S]*END:VALARM\r\n/, ''))).status, 201);
  // a separate state file so the server's own background scan (real clock) does not interfere
  const config = { ...s.config, mail_root: mkdtempSync(join(tmpdir(), 'rmail-rem-')) };
  const mk = () => new ReminderService({ ...s.services, config });
  const inbox = async () => (await s.services.mail.listFolders('alice@example.com')).find((f) => f.name === 'INBOX')!.total;
  const r1 = mk();
  t.equal(await r1.scan(D('2026-03-10T09:40:00Z')), 0, 'nothing before 09:44');
  // window 09:41 .. 09:49 covers rel (09:45), abs (09:47), rec on the 10th (10:00+1h-65m = 09:55? no) 
  t.equal(await r1.scan(D('2026-03-10T09:48:00Z')), 2, 'rel 09:45 and abs 09:47');
  t.equal(await inbox(), 2);
  t.equal(await r1.scan(D('2026-03-10T09:48:30Z')), 0, 'never twice');
  const r2 = mk(); // a restart: state from disk
  t.equal(await r2.scan(D('2026-03-10T09:49:00Z')), 0, 'not again after restart');
  t.equal(await r2.scan(D('2026-03-10T09:55:00Z')), 1, 'recurring instance of the 10th at 09:55');
  t.equal(await r2.scan(D('2026-03-11T09:55:00Z')), 1, 'next day\'s instance (downtime window caught up)');
  t.equal(await inbox(), 4);
});
