import t from 'tap';
import nodemailer from 'nodemailer';
import { startTestServer } from '../../helpers/server.js';
import { RawSmtp } from '../../helpers/smtp.js';

t.test('submission: AUTH required, failures, lockout, sender spoofing', async (t) => {
  const s = await startTestServer(t, {
    rate_limit: { whitelist: [], auth_failures_before_lockout: 3, requests_per_minute: 100000 },
  });
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  await s.services.accounts.addAlias('example.com', 'alice-.*', 'alice');

  const { c } = await RawSmtp.open(s.ports.submission!);
  const ehlo = await c.cmd('EHLO client.test');
  t.ok(ehlo.lines.includes('STARTTLS'));
  t.equal((await c.cmd('MAIL FROM:<alice@example.com>')).code, 530, 'MAIL needs AUTH');
  await c.starttls();
  await c.cmd('EHLO client.test');
  t.equal((await c.authPlain('alice@example.com', 'wrong')).code, 535, 'bad password');
  t.equal((await c.authPlain('nobody@example.com', 'x')).code, 535, 'unknown user');
  t.equal((await c.authPlain('alice@example.com', 'wrong')).code, 535, 'third failure');
  t.equal((await c.authPlain('alice@example.com', 'pw-alice')).code, 454, 'locked out after 3 failures');
  await c.close();
  t.equal(await s.services.auth.checkPassword('alice@example.com', 'pw-alice', '127.0.0.1'), 'locked', 'lockout shared with other protocols');
  s.services.auth.recordSuccess('127.0.0.1');

  const rows: [string, number][] = [
    ['alice@example.com', 250],
    ['alice-news@example.com', 250],
    ['bob@example.com', 553],
    ['ceo@remote.test', 553],
    ['', 553],
  ];
  for (const [from, code] of rows) {
    const { c: c2 } = await RawSmtp.open(s.ports.submissions!, { tls: true });
    await c2.cmd('EHLO client.test');
    t.equal((await c2.authPlain('alice@example.com', 'pw-alice')).code, 235);
    const r = await c2.cmd(`MAIL FROM:<${from}>`);
    t.equal(r.code, code, `MAIL FROM <${from}> -> ${code} (${r.text})`);
    await c2.close();
  }

  // nodemailer over implicit TLS: a spoofed From envelope is refused.
  const tx = nodemailer.createTransport({
    host: '127.0.0.1', port: s.ports.submissions!, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.com', pass: 'pw-alice' },
  });
  const refused = await tx.sendMail({ from: 'bob@example.com', to: 'bob@example.com', subject: 'x', text: 'y' }).then(() => null, (e: { responseCode?: number }) => e);
  t.equal(refused?.responseCode, 553, 'sending as another user is refused with 553');
  tx.close();
});
