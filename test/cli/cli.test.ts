import t from 'tap';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startChildServer } from '../helpers/spawn.js';

// Each step spawns a process: allow for a loaded CI machine.
t.setTimeout(600_000);

function tempConfig(extra: Record<string, unknown> = {}): { dir: string; file: string; root: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-cli-'));
  const root = join(dir, 'store');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ mail_root: root, domains: ['example.com'], ...extra }));
  return { dir, file, root };
}

t.test('bad arguments exit 2 with one line on stderr', async (t) => {
  const { file } = tempConfig();
  for (const args of [
    ['user', 'add', 'nodomain', '--password', 'x', '--config', file],
    ['user', 'add', 'a@example.com', '--config', file],
    ['user', 'frob', '--config', file],
    ['nonsense', '--config', file],
    ['user', 'add', 'a@example.com', '--password', 'x', '--quota-mb', 'lots', '--config', file],
    ['user', 'list', '--bogus'],
    ['alias', 'add', 'example.com', '--config', file],
  ]) {
    const r = await runCli(args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1);
    t.match(r.stderr, /^rmail: /);
  }
  const bad = tempConfig({ nope: true });
  const r = await runCli(['user', 'list', '--config', bad.file]);
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown key "nope"/);
});

t.test('user and alias commands', async (t) => {
  const { file, root } = tempConfig();
  const add = await runCli(['user', 'add', 'admin@example.com', '--admin', '--password-stdin', '--config', file], 'hunter2\n');
  t.equal(add.code, 0, add.stderr);
  const rec = JSON.parse(readFileSync(join(root, 'domains/example.com/users/admin/account.json'), 'utf8'));
  t.equal(rec.admin, true);
  t.match(rec.password_hash, /^scrypt\$/);
  t.notMatch(JSON.stringify(rec), /hunter2/, 'never stored in plain');
  t.equal((await runCli(['user', 'add', 'admin@example.com', '--password', 'x', '--config', file])).code, 2, 'exists');
  t.equal((await runCli(['user', 'add', 'bob@example.com', '--password', 'pw', '--quota-mb', '50', '--config', file])).code, 0);
  const list = await runCli(['user', 'list', '--config', file]);
  t.match(list.stdout, /admin@example.com\tadmin\tenabled\t1024 MB/);
  t.match(list.stdout, /bob@example.com\tuser\tenabled\t50 MB/);
  t.equal((await runCli(['user', 'passwd', 'bob@example.com', '--password', 'new', '--config', file])).code, 0);
  t.equal((await runCli(['user', 'passwd', 'ghost@example.com', '--password', 'new', '--config', file])).code, 2);
  t.equal((await runCli(['alias', 'add', 'example.com', 'sales-.*', 'bob', '--config', file])).code, 0);
  t.match((await runCli(['alias', 'list', 'example.com', '--config', file])).stdout, /sales-\.\*\tbob/);
  t.equal((await runCli(['alias', 'del', 'example.com', 'sales-.*', '--config', file])).code, 0);
  t.equal((await runCli(['alias', 'del', 'example.com', 'sales-.*', '--config', file])).code, 2);
  t.equal((await runCli(['user', 'del', 'bob@example.com', '--config', file])).code, 0);
  t.notOk(existsSync(join(root, 'domains/example.com/users/bob')));
});

t.test('serve: TLS on first start, one log line per listener, CLI works while running, SIGTERM stops', async (t) => {
  const { dir, root } = tempConfig();
  const config = {
    mail_root: root, domains: ['example.com'], listen_host: '127.0.0.1',
    http: { port: 0, tls: true }, imap: { port: 0, tls_port: 0 },
    smtp: { port: 0, submission_port: 0, submissions_port: 0 },
    workers: { threads: 1 },
  };
  const server = await startChildServer(dir, config);
  t.teardown(() => {
    server.child.kill('SIGKILL');
  });
  t.ok(existsSync(join(root, 'tls', 'cert.pem')), 'self-signed certificate under the mail root');
  t.ok(existsSync(join(root, 'tls', 'key.pem')));
  const file = join(dir, 'config.json');
  const add = await runCli(['user', 'add', 'admin@example.com', '--admin', '--password', 'pw', '--config', file]);
  t.equal(add.code, 0, 'the CLI works while the server runs');
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  const login = await fetch(`https://127.0.0.1:${server.ports.http}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin@example.com', password: 'pw' }),
  });
  t.equal(login.status, 200, 'HTTPS with the generated certificate');
  const { token } = (await login.json()) as { token: string };
  const users = await fetch(`https://127.0.0.1:${server.ports.http}/admin/users`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(users.status, 200);
  delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  const listening = server.lines.filter((l) => l.includes('"msg":"listening"'));
  t.ok(listening.length >= 1, 'one line per listener');
  for (const l of listening) t.match(JSON.parse(l), { level: 'info', msg: 'listening', port: Number });
  const exited = new Promise<number | null>((r) => server.child.on('exit', (code) => r(code)));
  server.child.kill('SIGTERM');
  t.equal(await exited, 0, 'graceful shutdown on SIGTERM');
  t.notMatch(server.lines.join('\n'), /"pw"|hunter|password_hash/, 'no secrets in the log');
});
