import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { RawSmtp } from '../../helpers/smtp.js';

t.test('MX: EHLO, recipient checks, relay refusal, size', async (t) => {
  const s = await startTestServer(t, { smtp: { max_message_bytes: 4000 } });
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  await s.services.accounts.addAlias('example.com', 'sales-.*', 'bob');
  const { c, greeting } = await RawSmtp.open(s.ports.smtp!);
  t.equal(greeting.code, 220);
  const ehlo = await c.cmd('EHLO client.test');
  t.equal(ehlo.code, 250);
  t.ok(ehlo.lines.includes('SIZE 4000'), 'SIZE advertised');
  t.ok(ehlo.lines.includes('STARTTLS'), 'STARTTLS offered');
  t.equal((await c.cmd('MAIL FROM:<x@remote.test> SIZE=5000')).code, 552, 'declared size over the limit');
  t.equal((await c.cmd('MAIL FROM:<x@remote.test>')).code, 250);
  const rows: [string, number][] = [
    ['alice@example.com', 250],
    ['ALICE@Example.COM', 250],
    ['sales-eu@example.com', 250],
    ['nobody@example.com', 550],
    ['victim@remote.test', 554],
    ['someone@localhost', 550],
  ];
  for (const [rcpt, code] of rows) {
    const r = await c.cmd(`RCPT TO:<${rcpt}>`);
    t.equal(r.code, code, `RCPT ${rcpt} -> ${code} (${r.text})`);
  }
  t.match((await c.cmd('RCPT TO:<victim@remote.test>')).text, /relay/i);
  await c.close();

  // A message over max_message_bytes is refused after DATA.
  const big = await RawSmtp.open(s.ports.smtp!);
  await big.c.cmd('EHLO client.test');
  await big.c.cmd('MAIL FROM:<x@remote.test>');
  await big.c.cmd('RCPT TO:<alice@example.com>');
  t.equal((await big.c.cmd('DATA')).code, 354);
  t.equal((await big.c.data(`Subject: big\r\n\r\n${'x'.repeat(6000)}`)).code, 552, 'oversized message');
  await big.c.close();
});

t.test('MX: AUTH needs TLS outside trusted_networks; STARTTLS works', async (t) => {
  const s = await startTestServer(t, { trusted_networks: [] });
  await s.addUser('alice@example.com', 'pw-alice');
  const { c } = await RawSmtp.open(s.ports.smtp!);
  await c.cmd('EHLO client.test');
  t.equal((await c.authPlain('alice@example.com', 'pw-alice')).code, 538, 'no AUTH in clear');
  t.equal((await c.starttls()).code, 220);
  const ehlo = await c.cmd('EHLO client.test');
  t.ok(ehlo.lines.some((l) => l.startsWith('AUTH')), 'AUTH offered after STARTTLS');
  t.notOk(ehlo.lines.some((l) => /^(REQUIRETLS|DSN)\b/.test(l)), 'no extension offered that is not honoured');
  t.equal((await c.authPlain('alice@example.com', 'pw-alice')).code, 235);
  t.equal((await c.cmd('MAIL FROM:<alice@example.com>')).code, 250);
  t.equal((await c.cmd('RCPT TO:<friend@remote.test>')).code, 250, 'authenticated relay on MX');
  await c.close();
});
