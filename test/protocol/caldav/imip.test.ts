import t from 'tap';
import nodemailer from 'nodemailer';
import { startTestServer } from '../../helpers/server.js';
import { dav } from './helpers.js';

const BOB: [string, string] = ['bob@example.com', 'pw-bob'];

const invite = (partstat = 'NEEDS-ACTION', seq = 0, summary = 'Planning') => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:meet-1\r\nDTSTAMP:20260101T000000Z\r\n`
  + `DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:${summary}\r\nSEQUENCE:${seq}\r\nORGANIZER:mailto:alice@example.com\r\n`
  + `ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\nATTENDEE;PARTSTAT=${partstat};RSVP=TRUE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

async function until<T>(fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('iMIP between local users: REQUEST, REPLY, CANCEL', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  const inbox = async (id: string) => (await s.services.mail.listFolders(id)).find((f) => f.name === 'INBOX')!.total;
  const aliceUrl = `${s.url}/caldav/alice/calendars/default/meet-1.ics`;
  t.equal((await dav(aliceUrl, 'PUT', invite())).status, 201);
  const bobCopy = `${s.url}/caldav/bob/calendars/Schedule-Inbox/meet-1.ics`;
  const got = await until(async () => { const r = await dav(bobCopy, 'GET', undefined, {}, BOB); return r.status === 200 && r; });
  t.match(got.text, 'SUMMARY:Planning');
  t.notMatch(got.text, 'METHOD:', 'stored without METHOD');
  t.equal(await inbox('bob@example.com'), 1, 'invitation mail in bob\'s INBOX');
  // an unchanged re-PUT sends nothing new
  await dav(aliceUrl, 'PUT', invite());
  await new Promise((r) => setTimeout(r, 200));
  t.equal(await inbox('bob@example.com'), 1);
  // bob accepts: a REPLY updates alice's PARTSTAT
  t.equal((await dav(bobCopy, 'PUT', invite('ACCEPTED'), {}, BOB)).status, 204);
  await until(async () => (await dav(aliceUrl, 'GET')).text.replace(/\r\n /g, '').includes('PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:bob') === false
    && /ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com/.test((await dav(aliceUrl, 'GET')).text.replace(/\r\n /g, '')));
  t.pass('organizer copy updated by REPLY');
  t.equal(await inbox('alice@example.com'), 1, 'reply mail in alice\'s INBOX');
  // alice deletes: bob's copy is cancelled
  t.equal((await dav(aliceUrl, 'DELETE')).status, 204);
  await until(async () => (await dav(bobCopy, 'GET', undefined, {}, BOB)).text.includes('STATUS:CANCELLED'));
  t.pass('attendee copy cancelled');
});

t.test('incoming iMIP over SMTP lands in Schedule-Inbox', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('bob@example.com', 'pw-bob');
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: s.ports.smtp!, secure: false, ignoreTLS: true });
  const ics = invite().replace('PRODID:-//t//EN\r\n', 'PRODID:-//t//EN\r\nMETHOD:REQUEST\r\n').replace(/alice@example\.com/g, 'carol@remote.test');
  await tr.sendMail({ from: 'carol@remote.test', to: 'bob@example.com', subject: 'Invitation', text: 'hi', icalEvent: { method: 'REQUEST', content: ics } });
  const url = `${s.url}/caldav/bob/calendars/Schedule-Inbox/meet-1.ics`;
  const r = await until(async () => { const x = await dav(url, 'GET', undefined, {}, BOB); return x.status === 200 && x; });
  t.match(r.text, 'ORGANIZER:mailto:carol@remote.test');
  const cancel = ics.replace('METHOD:REQUEST', 'METHOD:CANCEL').replace('SEQUENCE:0', 'SEQUENCE:1');
  await tr.sendMail({ from: 'carol@remote.test', to: 'bob@example.com', subject: 'Cancelled', text: 'x', icalEvent: { method: 'CANCEL', content: cancel } });
  await until(async () => (await dav(url, 'GET', undefined, {}, BOB)).text.includes('STATUS:CANCELLED'));
  t.pass('CANCEL marks the copy cancelled');
});
