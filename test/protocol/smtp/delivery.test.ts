import t from 'tap';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import { startTestServer } from '../../helpers/server.js';
import { RawSmtp, startFakeRemote, eventually } from '../../helpers/smtp.js';
import type { MessageSummary } from '../../../src/common/mail.js';

const mx = (port: number) => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false } });

t.test('MX delivery: INBOX copies, aliases, headers, iMIP hook', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  await s.services.accounts.addAlias('example.com', 'sales-.*', 'bob');
  const hooked: { userId: string; summary: MessageSummary }[] = [];
  s.services.delivery.onDelivered.push((userId, _f, _u, summary) => { hooked.push({ userId, summary }); });
  const inbox = async (id: string) => (await s.services.mail.folder(id, 'INBOX')).messages;

  const tx = mx(s.ports.smtp!);
  const info = await tx.sendMail({
    envelope: { from: 'sender@remote.test', to: ['alice@example.com', 'sales-eu@example.com', 'bob@example.com'] },
    from: 'sender@remote.test', to: 'alice@example.com', subject: 'Hello over SMTP', text: 'body text',
  });
  t.match(info.response, /^250/);
  t.equal((await inbox('alice@example.com')).length, 1, 'alice got one copy');
  t.equal((await inbox('bob@example.com')).length, 1, 'bob got one copy (alias and direct address)');
  const uid = (await inbox('alice@example.com'))[0]!.uid;
  const raw = readFileSync(s.services.mail.messageFile('alice@example.com', 'INBOX', uid), 'utf8');
  t.match(raw, /^Authentication-Results: localhost;/m, 'Authentication-Results recorded');
  t.match(raw, /spf=\w+/, 'SPF result (temperror/none without DNS)');
  t.match(raw, /dkim=none \(message not signed\)/, 'DKIM result');
  t.match(raw, /dmarc=\w+ header\.from=remote\.test/, 'DMARC result');
  t.match(raw, /^Received-SPF: /m);
  t.match(raw, /^Received: from [^\r\n]+\r\n\tby localhost \(rmail\) with ESMTPS/m, 'Received header, STARTTLS noted');
  t.match(raw, /Subject: Hello over SMTP/);
  t.equal(hooked.length, 0, 'no calendar part, no hook');

  const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:abc@remote.test\r\nDTSTART:20300101T100000Z\r\nDTEND:20300101T110000Z\r\nSUMMARY:Meet\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  await tx.sendMail({
    from: 'org@remote.test', to: 'alice@example.com', subject: 'Invite', text: 'see invite',
    icalEvent: { method: 'REQUEST', content: ics },
  });
  t.equal(hooked.length, 1, 'iMIP hook called');
  t.equal(hooked[0]!.userId, 'alice@example.com');
  t.ok(hooked[0]!.summary.calendarParts.length >= 1);
  tx.close();

  // A DKIM-signed message takes mailauth's full path: the signature verifies against the published key.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  s.services.delivery.resolver = async (name: string, rr: string) => {
    if (rr === 'TXT' && name === 'sel._domainkey.signer.test') return [[`v=DKIM1; k=rsa; p=${pub}`]];
    throw Object.assign(new Error('no such domain'), { code: 'ENOTFOUND' });
  };
  const signed = nodemailer.createTransport({
    host: '127.0.0.1', port: s.ports.smtp!, secure: false, tls: { rejectUnauthorized: false },
    dkim: { domainName: 'signer.test', keySelector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
  });
  await signed.sendMail({ from: 'news@signer.test', to: 'alice@example.com', subject: 'Signed', text: 'signed body' });
  signed.close();
  const last = (await inbox('alice@example.com')).at(-1)!;
  const signedRaw = readFileSync(s.services.mail.messageFile('alice@example.com', 'INBOX', last.uid), 'utf8');
  t.match(signedRaw, /dkim=pass header\.i=@signer\.test/, 'inbound DKIM verified');

  // A DKIM-Signature line in the body signs nothing: the message is unsigned.
  const quoting = mx(s.ports.smtp!);
  await quoting.sendMail({
    from: 'sender@remote.test', to: 'alice@example.com', subject: 'Quoting a header',
    text: 'The header looked like this:\r\nDKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=sel; b=abc\r\n',
  });
  quoting.close();
  const quoted = (await inbox('alice@example.com')).at(-1)!;
  const quotedRaw = readFileSync(s.services.mail.messageFile('alice@example.com', 'INBOX', quoted.uid), 'utf8');
  t.match(quotedRaw, /Subject: Quoting a header/);
  t.match(quotedRaw, /dkim=none \(message not signed\)/, 'a signature line in the body is not a signature');
});

t.test('MX delivery: quota 452/552 and partial failure DSN to a local sender', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('carol@example.com', 'pw', { quota_mb: 1 });
  await s.addUser('dave@example.com', 'pw');
  const body = (n: number) => `Subject: q\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(Math.ceil(n / 80));

  const { c } = await RawSmtp.open(s.ports.smtp!);
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<x@remote.test> SIZE=2000000');
  t.equal((await c.cmd('RCPT TO:<carol@example.com>')).code, 552, 'declared size over the whole quota');
  await c.cmd('RSET');
  const send = async (from: string, rcpts: string[], size: number) => {
    await c.cmd(`MAIL FROM:<${from}>`);
    for (const r of rcpts) await c.cmd(`RCPT TO:<${r}>`);
    await c.cmd('DATA');
    return c.data(body(size));
  };
  t.equal((await send('x@remote.test', ['carol@example.com'], 1_500_000)).code, 552, 'message larger than the quota');
  t.equal((await send('x@remote.test', ['carol@example.com'], 700_000)).code, 250, 'fits');
  t.equal((await send('x@remote.test', ['carol@example.com'], 700_000)).code, 452, 'mailbox full');
  await c.cmd('MAIL FROM:<x@remote.test>');
  t.equal((await c.cmd('RCPT TO:<carol@example.com>')).code, 250, 'not full yet at RCPT (used < limit)');
  await c.cmd('RSET');
  t.equal((await send('x@remote.test', ['dave@example.com'], 3_000_000)).code, 250, 'a message past 1 MiB (spooled to disk) is delivered');
  const big = (await s.services.mail.folder('dave@example.com', 'INBOX')).messages[0]!;
  t.ok(big.size > 3_000_000, 'stored whole');
  const r = await send('dave@example.com', ['carol@example.com', 'dave@example.com'], 700_000);
  t.equal(r.code, 250, 'accepted for dave, carol over quota');
  await c.close();
  const daves = (await s.services.mail.folder('dave@example.com', 'INBOX')).messages;
  t.equal(daves.length, 3, 'dave: the big one, the message and a DSN');
  const texts = daves.map((m) => readFileSync(s.services.mail.messageFile('dave@example.com', 'INBOX', m.uid), 'utf8'));
  const dsn = texts.find((x) => /report-type=delivery-status/.test(x));
  t.ok(dsn, 'DSN in the sender\'s INBOX');
  t.match(dsn!, /Final-Recipient: rfc822; carol@example\.com/);
  t.match(dsn!, /Status: 4\.2\.2/);
});

t.test('submission: local recipients delivered directly, remote queued; 5xx bounce lands in INBOX', async (t) => {
  const remote = await startFakeRemote(t);
  remote.rcptReply = (a) => (a.startsWith('nobody') ? 550 : 0);
  const s = await startTestServer(t, { smtp: { relay: { smarthost: '127.0.0.1', port: remote.port, secure: false } } });
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  const tx = nodemailer.createTransport({
    host: '127.0.0.1', port: s.ports.submission!, secure: false, requireTLS: true, tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.com', pass: 'pw-alice' },
  });
  await tx.sendMail({ from: 'alice@example.com', to: ['bob@example.com', 'nobody@remote.test'], subject: 'to both', text: 'x' });
  tx.close();
  t.equal((await s.services.mail.folder('bob@example.com', 'INBOX')).messages.length, 1, 'local copy');
  const alice = await eventually(async () => {
    const m = (await s.services.mail.folder('alice@example.com', 'INBOX')).messages;
    return m.length ? m : null;
  });
  const dsn = readFileSync(s.services.mail.messageFile('alice@example.com', 'INBOX', alice[0]!.uid), 'utf8');
  t.match(dsn, /Final-Recipient: rfc822; nobody@remote\.test/);
  t.match(dsn, /Subject: to both/);
  t.equal((await s.services.mail.folder('alice@example.com', 'Sent').catch(() => ({ messages: [] }))).messages.length, 0, 'no Sent copy by the server');
});
