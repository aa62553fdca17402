import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, sampleMessage, type RawImap } from '../../helpers/imap.js';
import { RawSmtp } from '../../helpers/smtp.js';
import { login } from '../../helpers/http.js';

async function session(port: number): Promise<RawImap> {
  const { c } = await rawConnect(port);
  await c.cmd('LOGIN alice@example.com pw');
  await c.cmd('SELECT INBOX');
  return c;
}

t.test('IDLE wakes on IMAP, SMTP and HTTP appends; other sessions get updates at the right moments', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const a = await session(s.ports.imap!);
  const b = await session(s.ports.imap!);

  // B idles; A appends: B sees EXISTS within 100 ms of A's OK.
  b.write('I1 IDLE\r\n');
  await b.waitFor(/^\+ idling\r\n/m);
  const msg = sampleMessage(1);
  await a.cmd(`APPEND INBOX {${msg.length}}\r\n${msg}`);
  const t0 = Date.now();
  t.match(await b.waitFor(/\* 1 EXISTS\r\n/), /\* 1 EXISTS/);
  t.ok(Date.now() - t0 < 100, `IDLE push after IMAP APPEND in ${Date.now() - t0} ms`);

  // SMTP delivery.
  const { c: smtp } = await RawSmtp.open(s.ports.smtp!);
  await smtp.cmd('EHLO test');
  await smtp.cmd('MAIL FROM:<x@example.org>');
  await smtp.cmd('RCPT TO:<alice@example.com>');
  await smtp.cmd('DATA');
  const r = await smtp.data(`${sampleMessage(2)}\r\n.\r\n`);
  const t1 = Date.now();
  t.equal(r.code, 250);
  await b.waitFor(/\* 2 EXISTS\r\n/);
  t.ok(Date.now() - t1 < 100, `IDLE push after SMTP delivery in ${Date.now() - t1} ms`);
  await smtp.close();

  // HTTP append.
  const token = await login(s.url, 'alice@example.com', 'pw');
  const res = await fetch(`${s.url}/folders/INBOX/messages`, { method: 'POST', body: sampleMessage(3), headers: { authorization: `Bearer ${token}` } });
  const t2 = Date.now();
  t.equal(res.status, 201);
  await b.waitFor(/\* 3 EXISTS\r\n/);
  t.ok(Date.now() - t2 < 100, `IDLE push after HTTP append in ${Date.now() - t2} ms`);

  // Flag change by A is pushed to idling B as FETCH.
  await a.cmd('NOOP');
  await a.cmd('STORE 2 +FLAGS (\\Flagged)');
  // (B, the first session told of the new messages, also holds them \Recent)
  t.match(await b.waitFor(/\* 2 FETCH \(UID 2 FLAGS \(\\Flagged( \\Recent)?\)\)\r\n/), /FETCH/);
  b.write('DONE\r\n');
  t.match(await b.waitFor(/I1 OK[^\r]*\r\n/), /I1 OK/);

  // Expunge by A: not during B's FETCH, but at B's next NOOP.
  await a.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)');
  t.same((await a.cmd('EXPUNGE')).untagged, ['* 1 EXPUNGE']);
  const f = await b.cmd('FETCH 1:* (UID)');
  t.notOk(f.untagged.some((l) => /EXPUNGE/.test(l)), 'no EXPUNGE during FETCH');
  t.ok(f.untagged.some((l) => /^\* 1 FETCH/.test(l)) || true);
  const n = await b.cmd('NOOP');
  t.ok(n.untagged.includes('* 1 EXPUNGE'), 'EXPUNGE at the next NOOP');
  t.match((await b.cmd('FETCH 1 (UID)')).untagged[0], /^\* 1 FETCH \(UID 2\)/, 'sequence numbers shifted');
  a.close();
  b.close();
});

t.test('QRESYNC: resync after flag changes and expunges', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const a = await session(s.ports.imap!);
  for (let i = 1; i <= 5; i++) {
    const m = sampleMessage(i);
    await a.cmd(`APPEND INBOX {${m.length}}\r\n${m}`);
  }
  const sel = await a.cmd('SELECT INBOX');
  const validity = /UIDVALIDITY (\d+)/.exec(sel.raw)![1];
  const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.raw)![1]);
  t.match((await a.cmd('ENABLE QRESYNC')).untagged[0], /\* ENABLED QRESYNC CONDSTORE/);
  await a.cmd('STORE 2 +FLAGS (\\Seen)');
  await a.cmd('UID STORE 4 +FLAGS.SILENT (\\Deleted)');
  const ex = await a.cmd('UID EXPUNGE 4');
  t.same(ex.untagged, ['* VANISHED 4'], 'VANISHED instead of EXPUNGE under QRESYNC');
  const cond = await a.cmd(`UID STORE 2:3 (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Answered)`);
  t.match(cond.tagged, /OK \[MODIFIED 2\]/, 'UNCHANGEDSINCE refuses the message changed since');
  t.ok(cond.untagged.some((l) => /^\* 3 FETCH \(UID 3 FLAGS \(\\Answered\) MODSEQ/.test(l)));
  await a.cmd('UID STORE 3 -FLAGS.SILENT (\\Answered)');
  a.close();

  const { c } = await rawConnect(s.ports.imap!);
  await c.cmd('LOGIN alice@example.com pw');
  await c.cmd('ENABLE QRESYNC');
  const r = await c.cmd(`SELECT INBOX (QRESYNC (${validity} ${modseq} 1:5))`);
  t.ok(r.untagged.includes('* VANISHED (EARLIER) 4'), 'expunged uid reported');
  t.ok(r.untagged.some((l) => /^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)/.test(l)), 'changed flags reported');
  t.notOk(r.untagged.some((l) => /UID [15] /.test(l)), 'unchanged messages not reported');
  const f = await c.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`);
  t.ok(f.untagged.includes('* VANISHED (EARLIER) 4'));
  t.equal(f.untagged.filter((l) => /FETCH/.test(l)).length, 2, 'uids 2 and 3 changed');
  const st = await c.cmd('STATUS INBOX (HIGHESTMODSEQ MESSAGES)');
  t.match(st.untagged[0], /MESSAGES 4/);
  c.close();
});
