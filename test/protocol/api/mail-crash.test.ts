/**
 * kill -9 during a stream of HTTP appends: after a restart every acknowledged message is there
 * exactly once and the index is consistent. Spawns the real server from dist/ (npm test builds
 * first; run `npx tsc -p tsconfig.json` before running this file alone).
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { request, login } from '../../helpers/http.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(repo, 'dist', 'main', 'cli.js');
// the child runs without tap's coverage hooks (they slow its start a lot)
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS')));

function start(config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 20_000);
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const j = JSON.parse(line);
        if (j.msg === 'listening' && j.service === 'http') {
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${j.port}` });
        }
      } catch { /* not JSON */ }
    });
  });
}

const kill9 = (child: ChildProcess) => new Promise<void>((resolve) => {
  child.removeAllListeners('exit');
  child.on('exit', () => resolve());
  child.kill('SIGKILL');
});

t.test('kill -9 mid-stream of appends loses no acknowledged message', { skip: existsSync(cli) ? false : 'dist/ not built' }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rmail-crash-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({
    mail_root: join(root, 'store'), hostname: 'localhost', listen_host: '127.0.0.1', domains: ['example.com'],
    http: { port: 0, tls: false }, imap: { port: null, tls_port: null },
    smtp: { port: null, submission_port: null, submissions_port: null },
    exchange_api: { token_secret: 'ab'.repeat(32) }, workers: { threads: 1 }, log: { level: 'info', requests: false },
  }));
  const add = spawn(process.execPath, [cli, 'user', 'add', 'alice@example.com', '--password', 'pw', '--config', config], { stdio: 'inherit', env });
  t.equal(await new Promise((r) => add.on('exit', r)), 0, 'user added');
  const acked = new Map<string, number>();
  let seq = 0;
  for (let round = 0; round < 3; round++) {
    const { child, url } = await start(config);
    const token = await login(url, 'alice@example.com', 'pw');
    let stop = false;
    const writer = async () => {
      while (!stop) {
        const id = `r${round}-${seq++}`;
        const body = `From: a@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@x>\r\n\r\n${'line of text\r\n'.repeat(20)}`;
        try {
          const res = await fetch(`${url}/folders/INBOX/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
          if (res.status === 201) acked.set(id, ((await res.json()) as { uid: number }).uid);
          else await res.text();
        } catch {
          return; // the server died
        }
      }
    };
    const writers = Array.from({ length: 8 }, writer);
    // kill at an uneven moment once this round has had some acknowledgements
    const t0 = Date.now();
    const before = acked.size;
    const want = 10 + round * 7;
    while (Date.now() - t0 < 5000 && acked.size < before + want) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, (seq % 13) * 3));
    await kill9(child);
    stop = true;
    await Promise.all(writers);
  }
  t.ok(acked.size > 0, `${acked.size} messages acknowledged before the kills`);
  const { child, url } = await start(config);
  t.teardown(() => kill9(child));
  const token = await login(url, 'alice@example.com', 'pw');
  const seen = new Map<string, number[]>();
  let offset = 0;
  let total = 0;
  for (;;) {
    const page = await request(`${url}/folders/INBOX/messages?offset=${offset}&limit=1000`, { token });
    t.equal(page.status, 200);
    total = page.json.total;
    for (const m of page.json.messages) seen.set(m.subject, [...(seen.get(m.subject) ?? []), m.uid]);
    offset += page.json.messages.length;
    if (page.json.messages.length === 0 || offset >= total) break;
  }
  let missing = 0;
  let twice = 0;
  let moved = 0;
  for (const [id, uid] of acked) {
    const got = seen.get(id) ?? [];
    if (got.length === 0) missing++;
    if (got.length > 1) twice++;
    if (got.length === 1 && got[0] !== uid) moved++;
  }
  t.equal(missing, 0, 'no acknowledged message lost');
  t.equal(twice, 0, 'none twice');
  t.equal(moved, 0, 'each keeps its acknowledged uid');
  t.ok([...seen.values()].every((u) => u.length === 1), 'no duplicates at all');
  t.equal(total, seen.size, 'index total matches');
  const list = await request(`${url}/folders`, { token });
  t.equal(list.json.folders[0].total, total);
  const again = await fetch(`${url}/folders/INBOX/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'Subject: after\r\n\r\nx\r\n' });
  t.equal(again.status, 201, 'appends work after recovery');
});
