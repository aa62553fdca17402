/**
 * A real client syncs (issue 5): mbsync (isync) pulls a 1,000-message INBOX over IMAPS, then
 * pushes new local messages, local flag changes and local deletions back, then pulls server-side
 * flag changes. Skipped when mbsync is not installed (CI installs the isync package).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { plainMessage } from '../../helpers/mail-fixtures.js';

const MBSYNC = ['/usr/bin/mbsync', '/usr/local/bin/mbsync'].find((p) => existsSync(p));
const N = 1000;

function run(conf: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(MBSYNC!, ['-c', conf, '-a'], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

const files = (dir: string): string[] => ['cur', 'new'].flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));

t.test('mbsync pulls and pushes a 1,000-message mailbox', { skip: !MBSYNC && 'mbsync not installed' }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const id = 'alice@example.com';
  const mail = s.services.mail;
  for (let i = 0; i < N; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, k) => mail.append(id, 'INBOX', { data: plainMessage(i + k + 1) }, { flags: (i + k) % 3 === 0 ? ['\\Seen'] : [] })));
  }
  const local = join(s.root, 'mbsync-local');
  mkdirSync(local);
  const conf = join(s.root, 'mbsyncrc');
  writeFileSync(conf, [
    'IMAPAccount rmail',
    'Host localhost',
    `Port ${s.ports.imaps}`,
    'User alice@example.com',
    'Pass pw',
    'SSLType IMAPS',
    `CertificateFile ${s.tls.certFile}`,
    '',
    'IMAPStore remote',
    'Account rmail',
    '',
    'MaildirStore local',
    `Path ${local}/`,
    `Inbox ${local}/INBOX`,
    'SubFolders Verbatim',
    '',
    'Channel sync',
    'Far :remote:',
    'Near :local:',
    'Patterns INBOX',
    'Create Both',
    'Sync All',
    'Expunge Both',
    'SyncState *',
    '',
  ].join('\n'));

  const t0 = Date.now();
  const pull = await run(conf);
  t.equal(pull.code, 0, pull.out.slice(-2000));
  const inbox = join(local, 'INBOX');
  const got = files(inbox);
  t.equal(got.length, N, `pulled ${N} messages in ${Date.now() - t0} ms`);
  t.equal(got.filter((f) => /:2,[A-Z]*S/.test(f)).length, Math.ceil(N / 3), '\\Seen pulled as S');

  // Push: 10 new local messages, 5 local deletions, 20 local \Flagged.
  for (let i = 0; i < 10; i++) writeFileSync(join(inbox, 'new', `${Date.now()}.${i}.local`), plainMessage(5000 + i));
  const cur = files(inbox).filter((f) => f.includes('/cur/')).sort();
  for (const f of cur.slice(0, 5)) unlinkSync(f);
  for (const f of cur.slice(5, 25)) renameSync(f, f.replace(/:2,([A-Z]*)$/, (_m, fl: string) => `:2,${[...new Set([...fl, 'F'])].sort().join('')}`));
  const push = await run(conf);
  t.equal(push.code, 0, push.out.slice(-2000));
  const view = await mail.folder(id, 'INBOX');
  t.equal(view.messages.length, N + 10 - 5, 'server has the pushed and deleted messages');
  t.equal(view.messages.filter((m) => m.flags.includes('\\Flagged')).length, 20, 'local flags pushed');

  // Pull server-side flag changes.
  const uids = view.messages.slice(-3).map((m) => m.uid);
  await mail.setFlags(id, 'INBOX', uids, 'add', ['\\Answered']);
  const again = await run(conf);
  t.equal(again.code, 0, again.out.slice(-2000));
  t.equal(files(inbox).filter((f) => /:2,[A-Z]*R/.test(f)).length, 3, 'server flags pulled as R');
  t.equal(files(inbox).length, N + 5);
  rmSync(local, { recursive: true, force: true });
});
