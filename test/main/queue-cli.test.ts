import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { main } from '../../src/main/cli.js';
import { startTestServer } from '../helpers/server.js';
import { startFakeRemote, eventually } from '../helpers/smtp.js';

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try {
    const code = await main(args);
    return { code, out: lines.join('\n') };
  } finally {
    console.log = orig;
  }
}

t.test('rmail dkim show, queue list, queue flush against a running server', async (t) => {
  const remote = await startFakeRemote(t);
  remote.rcptReply = () => 451;
  const root = mkdtempSync(join(tmpdir(), 'rmail-cli-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const relay = { smarthost: '127.0.0.1', port: remote.port, secure: false };
  const file = join(root, 'config.json');
  writeFileSync(file, JSON.stringify({ mail_root: join(root, 'store'), domains: ['example.com'], smtp: { relay } }));
  const s = await startTestServer(t, { mail_root: join(root, 'store'), smtp: { relay } });
  await s.addUser('alice@example.com', 'pw-alice');

  const dkim = await cli(['dkim', 'show', 'example.com', '--config', file]);
  t.equal(dkim.code, 0);
  t.match(dkim.out, /^rmail\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+/);
  t.equal((await cli(['dkim', 'show', 'other.test', '--config', file])).code, 2, 'unserved domain is a usage error');

  t.match((await cli(['queue', 'list', '--config', file])).out, /queue is empty/);
  const tx = nodemailer.createTransport({
    host: '127.0.0.1', port: s.ports.submissions!, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.com', pass: 'pw-alice' },
  });
  await tx.sendMail({ from: 'alice@example.com', to: 'bob@remote.test', subject: 'cli', text: 'x' });
  tx.close();
  const list = await eventually(async () => {
    const l = await cli(['queue', 'list', '--config', file]);
    return /attempts=1/.test(l.out) ? l : null;
  });
  t.match(list.out, /alice@example\.com\tbob@remote\.test\tattempts=1\t/);
  t.match(list.out, /451/);
  remote.rcptReply = () => 0;
  const flush = await cli(['queue', 'flush', '--config', file]);
  t.match(flush.out, /flush requested for 1/);
  await eventually(() => remote.received.length === 1 && s.services.outbound.list().length === 0, 8000);
  t.pass('delivered after rmail queue flush');
  t.equal((await cli(['queue', 'bogus', '--config', file])).code, 2);
});
