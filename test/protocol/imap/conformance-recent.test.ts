/**
 * \Recent on first sight (RFC 3501 2.3.2: "this session is the first session to have been
 * notified about this message"; found by diffing against Dovecot). Mail that arrives while no
 * session has the folder selected — by SMTP, the HTTP API, or IMAP APPEND from another session —
 * is \Recent to the first session that SELECTs the folder, even when no session ever selected it
 * since the server started; EXAMINE sees it without taking it (6.3.2); a later SELECT sees none.
 * The floor is kept in the mail store: after a restart the messages no session was told about are
 * still \Recent, those already claimed are not.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin, sampleMessage, type RawImap } from '../../helpers/imap.js';
import { RawSmtp } from '../../helpers/smtp.js';
import { login } from '../../helpers/http.js';

/** A logged-in raw session for alice (closed with the test). */
const session = (t: Test, port: number): Promise<RawImap> => rawLogin(t, port, 'alice@example.com', 'pw');

async function append(c: RawImap, box: string, i: number): Promise<void> {
  const m = sampleMessage(i);
  const r = await c.cmd(`APPEND ${box} {${m.length}}\r\n${m}`);
  if (!/OK/.test(r.tagged)) throw new Error(r.tagged);
}

const recentOf = (lines: string[]): string | undefined => lines.find((l) => / RECENT$/.test(l));

t.test('first SELECT after delivery by SMTP, HTTP and another session sees the messages \\Recent', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');

  // SMTP delivery into an INBOX no session ever selected.
  const { c: smtp } = await RawSmtp.open(s.ports.smtp!);
  await smtp.cmd('EHLO client.test');
  await smtp.cmd('MAIL FROM:<x@remote.test>');
  await smtp.cmd('RCPT TO:<alice@example.com>');
  await smtp.cmd('DATA');
  t.equal((await smtp.data('Subject: one\r\n\r\nbody\r\n')).code, 250);
  await smtp.close();
  // HTTP append.
  const token = await login(s.url, 'alice@example.com', 'pw');
  const res = await fetch(`${s.url}/folders/INBOX/messages`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'message/rfc822' }, body: sampleMessage(2),
  });
  t.equal(res.status, 201);
  // IMAP APPEND from a session that selects nothing.
  const other = await session(t, s.ports.imap!);
  await append(other, 'INBOX', 3);

  t.match((await other.cmd('STATUS INBOX (MESSAGES RECENT)')).untagged[0], /^\* STATUS INBOX \(MESSAGES 3 RECENT 3\)$/, 'STATUS counts them');
  const ex = await session(t, s.ports.imap!);
  t.equal(recentOf((await ex.cmd('EXAMINE INBOX')).untagged), '* 3 RECENT', 'EXAMINE sees them');
  const a = await session(t, s.ports.imap!);
  const sel = await a.cmd('SELECT INBOX');
  t.equal(recentOf(sel.untagged), '* 3 RECENT', 'EXAMINE did not take them: the first SELECT sees all 3');
  t.same((await a.cmd('FETCH 1:* (FLAGS)')).untagged, [
    '* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS (\\Recent))', '* 3 FETCH (FLAGS (\\Recent))',
  ]);
  const b = await session(t, s.ports.imap!);
  t.equal(recentOf((await b.cmd('SELECT INBOX')).untagged), '* 0 RECENT', 'the next SELECT sees none');
  t.match((await other.cmd('STATUS INBOX (RECENT)')).untagged[0], /RECENT 0/);

  // A folder created and filled before anyone selects it: all \Recent.
  await other.cmd('CREATE Box');
  await append(other, 'Box', 4);
  await append(other, 'Box', 5);
  t.equal(recentOf((await b.cmd('SELECT Box')).untagged), '* 2 RECENT', 'new folder: every message \\Recent');
  for (const c of [other, ex, a, b]) c.close();
});

/** A server on `root` (kept by the test: started again on the same store, as after a restart). */
const start = (t: Test, root: string) => startTestServer(t, { mail_root: root });

t.test('the floor survives a restart: unclaimed messages stay \\Recent, claimed ones do not', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rmail-recent-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  let srv = await start(t, root);
  await srv.services.accounts.create({ username: 'alice', domain: 'example.com', password: 'pw' });
  let c = await session(t, srv.ports.imap!);
  await append(c, 'INBOX', 1);
  await append(c, 'INBOX', 2);
  t.equal(recentOf((await c.cmd('SELECT INBOX')).untagged), '* 2 RECENT', 'claimed before the restart');
  await c.cmd('CLOSE');
  await append(c, 'INBOX', 3);
  await append(c, 'Drafts', 4);
  c.close();
  await srv.stop();

  srv = await start(t, root);
  c = await session(t, srv.ports.imap!);
  t.match((await c.cmd('STATUS INBOX (MESSAGES RECENT)')).untagged[0], /MESSAGES 3 RECENT 1\)$/, 'STATUS after the restart');
  t.equal(recentOf((await c.cmd('SELECT INBOX')).untagged), '* 1 RECENT', 'only the unclaimed message is \\Recent');
  t.same((await c.cmd('FETCH 1:* (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS ())', '* 3 FETCH (FLAGS (\\Recent))']);
  t.equal(recentOf((await c.cmd('SELECT Drafts')).untagged), '* 1 RECENT', 'a folder never selected');
  c.close();
  // Claimed in this run, saved at stop: none after the next restart.
  await srv.stop();
  srv = await start(t, root);
  c = await session(t, srv.ports.imap!);
  t.equal(recentOf((await c.cmd('SELECT INBOX')).untagged), '* 0 RECENT', 'claimed before the second restart');
  c.close();
  await srv.stop(); // before the teardown removes the store
});
