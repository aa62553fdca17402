/**
 * Over-the-wire fuzzing (issue 9): random bytes and almost-valid commands to the IMAP and SMTP
 * ports and random HTTP requests (methods x paths x bodies x credentials) to the HTTP port.
 * After every burst the server must answer the next valid request; HTTP answers must never be 5xx.
 */
import t from 'tap';
import fc from 'fast-check';
import { connect, type Socket } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { request, login } from '../helpers/http.js';
import { rawConnect, sampleMessage } from '../helpers/imap.js';
import { imapLine, bytes, icsText, xmlBody, mimeMessage, jsonText, multipartBody } from './gen.js';

const RUNS = Number(process.env.FUZZ_WIRE_RUNS ?? 40);

/** Open a socket, write `data` (after the greeting when asked), collect what comes back for up to `ms`, then close. */
function poke(port: number, data: Buffer | string, ms = 300, afterGreeting = false): Promise<string> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      if (afterGreeting && got === '') s.write(data);
      got += d;
    });
    s.on('error', () => {});
    s.on('connect', () => afterGreeting || s.write(data));
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

async function imapAlive(s: TestServer): Promise<boolean> {
  const { c } = await rawConnect(s.ports.imap!);
  try {
    const r = await c.cmd('LOGIN alice@example.com pw-alice');
    return /OK/.test(r.tagged) && /OK/.test((await c.cmd('SELECT INBOX')).tagged);
  } finally {
    c.close();
  }
}

t.test('IMAP: random bytes and near-valid commands', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const { c } = await rawConnect(s.ports.imap!);
  await c.cmd('LOGIN alice@example.com pw-alice');
  const m = sampleMessage(1);
  await c.cmd(`APPEND INBOX {${m.length}+}\r\n${m}`);
  c.close();
  const samples = fc.sample(fc.tuple(fc.array(imapLine, { minLength: 1, maxLength: 6 }), fc.boolean()), RUNS);
  for (const [lines, authed] of samples) {
    const head = authed ? 'p1 LOGIN alice@example.com pw-alice\r\np2 SELECT INBOX\r\n' : '';
    await poke(s.ports.imap!, head + lines.join('\r\n') + '\r\nzz NOOP\r\nzz LOGOUT\r\n', 150);
  }
  for (const b of fc.sample(bytes(2000), Math.ceil(RUNS / 3))) await poke(s.ports.imap!, b, 50);
  t.ok(await imapAlive(s), 'a fresh session logs in and selects after the fuzzing');
  // A session that stays open keeps answering after junk (no literal pending).
  const { c: c2 } = await rawConnect(s.ports.imap!);
  await c2.cmd('LOGIN alice@example.com pw-alice');
  for (const line of fc.sample(imapLine.filter((l) => !/[{}]/.test(l)), RUNS)) c2.write(`${line}\r\n`);
  t.match((await c2.cmd('NOOP', 'last')).tagged, /^last OK/, 'same session still answers NOOP');
  c2.close();
});

const SMTP_WORDS = ['EHLO x', 'HELO x', 'MAIL FROM:<a@example.org>', 'MAIL FROM:<>', 'MAIL FROM:<a@b> SIZE=99999999999', 'MAIL FROM:a',
  'RCPT TO:<alice@example.com>', 'RCPT TO:<nobody@example.com>', 'RCPT TO:<@x:a@b>', 'RCPT TO:<"a b"@example.com>', 'DATA', '.', 'RSET',
  'NOOP', 'VRFY alice', 'EXPN x', 'AUTH PLAIN', 'AUTH PLAIN AGFsaWNl', 'AUTH LOGIN', 'AUTH CRAM-MD5', '*', 'BDAT 10 LAST', 'STARTTLS',
  'HELP', 'QUIT', 'XCLIENT ADDR=1.2.3.4', 'MAIL FROM:<a@example.org> BODY=8BITMIME SMTPUTF8', 'Subject: x', '', '\u0000\u00ff'];

t.test('SMTP: random bytes and near-valid dialogues on MX and submission', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const dialogues = fc.sample(fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SMTP_WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }), { maxLength: 10 }), RUNS);
  for (let i = 0; i < dialogues.length; i += 8) {
    await Promise.all(dialogues.slice(i, i + 8).flatMap((d) => [
      poke(s.ports.smtp!, d.join('\r\n') + '\r\nQUIT\r\n', 150, true),
      poke(s.ports.submission!, d.join('\r\n') + '\r\nQUIT\r\n', 150, true),
    ]));
  }
  for (const b of fc.sample(bytes(2000), Math.ceil(RUNS / 3))) await poke(s.ports.smtp!, b, 40);
  // Random message bodies are accepted or refused cleanly.
  const deliveries: Promise<string>[] = [];
  for (const msg of fc.sample(mimeMessage, Math.ceil(RUNS / 3))) {
    const body = msg.toString('latin1').replace(/^\./gm, '..');
    deliveries.push(poke(s.ports.smtp!, `EHLO x\r\nMAIL FROM:<f@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n${body}\r\n.\r\nQUIT\r\n`, 1000, true));
  }
  await Promise.all(deliveries);
  const reply = await poke(s.ports.smtp!, `EHLO x\r\nMAIL FROM:<f@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n${sampleMessage(7)}\r\n.\r\nQUIT\r\n`, 2000, true);
  t.match(reply, /\r\n250[ -][^\r\n]*(queued|accepted|Ok|OK|deliver)/i, 'a valid delivery still gets 250 after DATA');
  t.ok(await imapAlive(s), 'IMAP still up');
});

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'REPORT', 'MKCOL', 'MKCALENDAR', 'MOVE', 'COPY', 'LOCK', 'UNLOCK', 'FOO'];
const SEGMENTS = ['auth', 'login', 'folders', 'INBOX', 'Sent', 'messages', '1', '0', '-1', '99999999999999999999', 'flags', 'send', 'aliases',
  'admin', 'users', 'alice', 'bob', 'password', 'caldav', 'calendars', 'default', 'ev.ics', 'drive', '_share', 'docs', 'a.txt', 'webmail',
  'docs', 'health', '.well-known', 'caldav', '%2e%2e', '..', '%00', '%ZZ', '%2F', '_index.json', 'x.tmp', 'é', '%C3%A9', '*', '', 'compose'];
const PATH = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map(encodeURIComponent) }), { minLength: 1, maxLength: 6 })
  .chain((segs) => fc.tuple(fc.constantFrom('', '/', '?limit=0', '?offset=-1&limit=5000', '?action=mkdir', '?domain=other.org', '?action=x'))
    .map(([tail]) => '/' + segs.join('/') + tail));
const BODY = fc.oneof(
  fc.constant({ type: '', body: Buffer.alloc(0) }),
  jsonText.map((j) => ({ type: 'application/json', body: Buffer.from(j) })),
  xmlBody.map((x) => ({ type: 'application/xml', body: Buffer.from(x) })),
  icsText.map((x) => ({ type: 'text/calendar', body: Buffer.from(x) })),
  multipartBody.map((b) => ({ type: 'multipart/form-data; boundary=B', body: b })),
  mimeMessage.map((b) => ({ type: 'message/rfc822', body: b })),
  bytes(300).map((b) => ({ type: 'application/octet-stream', body: b })),
);

/** Send one raw HTTP/1.1 request (any method, any path bytes) and return the status code. */
function rawHttp(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m && got.includes('\r\n\r\n')) {
        s.destroy();
        resolve(Number(m[1]));
      }
    });
    s.on('error', () => {});
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
    s.setTimeout(5000, () => s.destroy());
    const head = [`${method} ${path} HTTP/1.1`, 'Host: localhost', `Content-Length: ${body.length}`, 'Connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    s.on('connect', () => s.write(Buffer.concat([Buffer.from(head, 'latin1'), body])));
  });
}

t.test('HTTP: random methods x paths x bodies x credentials', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  await s.addUser('admin@example.com', 'pw-admin', { admin: true });
  const tokens = { bob: await login(s.url, 'bob@example.com', 'pw-bob'), admin: await login(s.url, 'admin@example.com', 'pw-admin') };
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const AUTH = fc.constantFrom<Record<string, string>>({}, { authorization: basic('alice@example.com', 'pw-alice') },
    { authorization: `Bearer ${tokens.bob}` }, { authorization: `Bearer ${tokens.admin}` }, { authorization: 'Bearer x.y.z' },
    { authorization: 'Basic %%%' }, { authorization: basic('alice@example.com', 'pw-alice'), destination: '/drive/../../etc' },
    { authorization: basic('alice@example.com', 'pw-alice'), depth: 'infinity', 'if-match': '"x"' });
  const fives: string[] = [];
  const cases = fc.sample(fc.tuple(fc.constantFrom(...METHODS), PATH, BODY, AUTH), { seed: 20261125, numRuns: RUNS * 4 });
  for (const [method, path, { type, body }, auth] of cases) {
    const headers = type ? { ...auth, 'content-type': type } : auth;
    const status = await rawHttp(s.ports.http!, method, path, headers, body);
    if (status >= 500 || status === 0) fives.push(`${status} ${method} ${path} ${type} ${body.subarray(0, 60).toString('latin1')}`);
  }
  // Valid routes and credentials with random bodies reach the body parsers themselves.
  const A = { authorization: basic('alice@example.com', 'pw-alice') };
  const B = { authorization: `Bearer ${tokens.bob}` };
  const ADM = { authorization: `Bearer ${tokens.admin}` };
  const targeted: [string, string, Record<string, string>, fc.Arbitrary<{ type: string; body: Buffer }>][] = [
    ['POST', '/drive/up', A, multipartBody.map((b) => ({ type: 'multipart/form-data; boundary=B', body: b }))],
    ['PROPFIND', '/drive/', { ...A, depth: '1' }, BODY],
    ['PROPPATCH', '/drive/up', A, BODY],
    ['LOCK', '/drive/lk.txt', A, BODY],
    ['PUT', '/caldav/alice/calendars/default/f.ics', A, icsText.map((x) => ({ type: 'text/calendar', body: Buffer.from(x) }))],
    ['REPORT', '/caldav/alice/calendars/default/', { ...A, depth: '1' }, BODY],
    ['PROPFIND', '/caldav/alice/calendars/', { ...A, depth: '1' }, BODY],
    ['MKCALENDAR', '/caldav/alice/calendars/fz/', A, BODY],
    ['PROPPATCH', '/caldav/alice/calendars/default/', A, BODY],
    ['POST', '/folders/INBOX/messages', B, BODY],
    ['POST', '/messages/send', B, BODY],
    ['PATCH', '/folders/INBOX/messages/1/flags', B, BODY],
    ['POST', '/folders', B, BODY],
    ['POST', '/drive/_share', A, BODY],
    ['POST', '/admin/users', ADM, BODY],
    ['PATCH', '/admin/users/bob?domain=example.com', ADM, BODY],
    ['POST', '/aliases', ADM, BODY],
    ['POST', '/auth/login', {}, BODY],
  ];
  for (const [method, path, auth, arb] of targeted) {
    for (const { type, body } of fc.sample(arb, { seed: 20261125, numRuns: Math.ceil(RUNS / 4) })) {
      const status = await rawHttp(s.ports.http!, method, path, { ...auth, 'content-type': type }, body);
      if (status >= 500 || status === 0) fives.push(`${status} ${method} ${path} ${type} ${body.subarray(0, 80).toString('latin1')}`);
    }
  }
  t.same(fives, [], 'no request got a 5xx or a dropped connection');
  t.equal((await request(`${s.url}/health`)).status, 200, 'health still answers');
  t.equal((await request(`${s.url}/folders`, { token: tokens.bob })).status, 200, 'an authenticated call still answers');
});
