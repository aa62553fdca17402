/** `rmail verify [--fix]`, `rmail backup DIR`, `rmail restore DIR` against a populated mail root. */
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { request, login } from '../helpers/http.js';
import { verifyMailRoot } from '../../src/main/verify.js';
import { backupMailRoot, restoreMailRoot } from '../../src/main/backup.js';
import { runCli, CLI } from '../helpers/spawn.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const ics = (uid: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

t.test('verify, corruption reports, --fix, backup and restore', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  await s.addUser('bob@example.com', 'pw-bob');
  const token = await login(s.url, A[0], A[1]);
  for (let i = 0; i < 5; i++) {
    const r = await request(`${s.url}/folders/INBOX/messages`, { method: 'POST', token, body: `Subject: m${i}\r\n\r\nbody ${i}\r\n`, headers: { 'content-type': 'message/rfc822' } });
    t.equal(r.status, 201);
  }
  await request(`${s.url}/folders/INBOX/messages/2/flags`, { method: 'PATCH', token, body: { flags: ['\\Seen'] } });
  for (const f of ['docs/a.txt', 'docs/sub/b.txt', 'c.bin']) await request(`${s.url}/drive/${f}`, { method: 'PUT', basic: A, body: `content of ${f}` });
  await request(`${s.url}/drive/_share`, { method: 'POST', basic: A, body: { target_path: 'docs', permissions: 'R' } });
  for (const e of ['e1', 'e2']) await request(`${s.url}/caldav/alice/calendars/default/${e}.ics`, { method: 'PUT', basic: A, body: ics(e), headers: { 'content-type': 'text/calendar' } });

  const clean = await verifyMailRoot(s.root);
  t.same(clean.issues.filter((i) => i.level === 'error'), [], 'a live mail root verifies clean');
  t.ok(clean.checked.messages >= 5 && clean.checked.events >= 2 && clean.checked.driveDirs >= 3 && clean.checked.shares === 1, JSON.stringify(clean.checked));

  // Backup while the server runs, restore into a fresh root: same content, verifies clean.
  const bdir = mkdtempSync(join(tmpdir(), 'rmail-backup-'));
  const rdir = mkdtempSync(join(tmpdir(), 'rmail-restore-'));
  t.teardown(() => { rmSync(bdir, { recursive: true, force: true }); rmSync(rdir, { recursive: true, force: true }); });
  const b = await backupMailRoot(s.root, join(bdir, 'b'));
  t.ok(b.linked >= 5, `messages and drive files hard-linked (${b.linked} of ${b.files})`);
  await t.rejects(backupMailRoot(s.root, join(bdir, 'b')), /not empty/, 'refuses a non-empty backup dir');
  await restoreMailRoot(join(bdir, 'b'), join(rdir, 'root'));
  const restored = await verifyMailRoot(join(rdir, 'root'));
  t.same(restored.issues.filter((i) => i.level === 'error'), [], 'restored root verifies clean');
  t.same(restored.checked, clean.checked, 'restored root holds the same structures');
  await t.rejects(restoreMailRoot(join(bdir, 'b'), join(rdir, 'root')), /not empty/, 'restore refuses a non-empty mail_root');

  // Corrupt the restored copy and check each structure is reported.
  const u = join(rdir, 'root/domains/example.com/users/alice');
  const inbox = readdirSync(join(u, 'mail/f')).map((id) => join(u, 'mail/f', id)).find((d) => existsSync(join(d, '3.eml')))!;
  unlinkSync(join(inbox, '3.eml'));
  const di = JSON.parse(readFileSync(join(u, 'drive/files/docs/_index.json'), 'utf8'));
  di.total_bytes += 7;
  writeFileSync(join(u, 'drive/files/docs/_index.json'), JSON.stringify(di));
  writeFileSync(join(u, 'calendars/default/events/stray.ics'), ics('stray'));
  writeFileSync(join(u, 'drive/files/docs/orphan.txt'), 'x');
  const bad = await verifyMailRoot(join(rdir, 'root'));
  const text = bad.issues.map((i) => `${i.where}: ${i.what}`).join('\n');
  t.match(text, /uid 3 indexed but 3\.eml is missing/);
  t.match(text, /drive:\/docs\/: total .* differ from a fresh walk/);
  t.match(text, /stray\.ics on disk but not in index\.json/);
  t.match(text, /orphan\.txt on disk but not in _index\.json/);

  // The CLI: exit 1 with the report while errors remain, 0 on a clean root.
  if (existsSync(CLI)) {
    const cfg = join(rdir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ mail_root: join(rdir, 'root'), domains: ['example.com'] }));
    const v = await runCli(['verify', '--config', cfg]);
    t.equal(v.code, 1, 'verify exits 1 on errors');
    t.match(v.stdout, /error\t.*3\.eml is missing/);
    const cfg2 = join(bdir, 'config.json');
    writeFileSync(cfg2, JSON.stringify({ mail_root: s.root, domains: ['example.com'] }));
    const v2 = await runCli(['verify', '--config', cfg2]);
    t.equal(v2.code, 0, `verify exits 0 on the live root: ${v2.stdout}${v2.stderr}`);
    const bk = await runCli(['backup', join(bdir, 'b2'), '--config', cfg2]);
    t.equal(bk.code, 0, bk.stderr);
    t.ok(statSync(join(bdir, 'b2/rmail-backup.json')).isFile());
  }
});
