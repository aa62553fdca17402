import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import nodemailer from 'nodemailer';
import { main } from '../../../src/main/cli.js';
import { startTestServer } from '../../helpers/server.js';
import { startFakeRemote } from '../../helpers/smtp.js';

const cliJs = fileURLToPath(new URL('../../../dist/main/cli.js', import.meta.url));

t.test('kill -9 after 250: every acknowledged message and queue entry survives', { skip: existsSync(cliJs) ? false : 'dist/ not built (npm test builds it)' }, async (t) => {
  const remote = await startFakeRemote(t);
  remote.rcptReply = () => 451;
  const root = mkdtempSync(join(tmpdir(), 'rmail-crash-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const store = join(root, 'store');
  const relay = { smarthost: '127.0.0.1', port: remote.port, secure: false };
  const file = join(root, 'config.json');
  writeFileSync(file, JSON.stringify({
    mail_root: store, domains: ['example.com'], listen_host: '127.0.0.1', hostname: 'localhost',
    http: { port: null }, imap: { port: null, tls_port: null },
    smtp: { port: 0, submission_port: null, submissions_port: 0, relay }, log: { level: 'info', requests: false },
  }));
  const quiet = console.log;
  console.log = () => {};
  t.equal(await main(['user', 'add', 'alice@example.com', '--password', 'pw-alice', '--config', file]), 0);
  console.log = quiet;

  const child = spawn(process.execPath, [cliJs, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const ports: Record<string, number> = {};
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => reject(new Error('server exited')));
    rl.on('line', (line) => {
      try {
        const j = JSON.parse(line);
        if (j.msg === 'listening') ports[j.service] = j.port;
      } catch { /* not JSON */ }
      if (ports.smtp && ports.submissions) resolve();
    });
  });

  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: ports.smtp!, secure: false, tls: { rejectUnauthorized: false }, pool: true, maxConnections: 4 });
  const n = 30;
  const acks = await Promise.all(Array.from({ length: n }, (_, i) =>
    mx.sendMail({ from: 'x@remote.test', to: 'alice@example.com', subject: `crash ${i}`, text: `message ${i}` })));
  t.equal(acks.filter((a) => /^250/.test(a.response)).length, n, 'all acknowledged');
  const sub = nodemailer.createTransport({
    host: '127.0.0.1', port: ports.submissions!, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.com', pass: 'pw-alice' },
  });
  await sub.sendMail({ from: 'alice@example.com', to: 'far@remote.test', subject: 'queued', text: 'x' });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  mx.close();
  sub.close();

  const s = await startTestServer(t, { mail_root: store, domains: ['example.com'], smtp: { relay } });
  const inbox = await s.services.mail.folder('alice@example.com', 'INBOX');
  t.equal(inbox.messages.length, n, 'every acknowledged message is in INBOX after kill -9');
  const q = s.services.outbound.list();
  t.equal(q.length, 1, 'the queued message survived');
  t.equal(q[0]?.recipients[0]?.address, 'far@remote.test');
});
