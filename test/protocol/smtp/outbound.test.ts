import t from 'tap';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import nodemailer from 'nodemailer';
import { dkimVerify } from 'mailauth';
import { startTestServer } from '../../helpers/server.js';
import { startFakeRemote, eventually } from '../../helpers/smtp.js';
import { readDkimKey } from '../../../src/store/dkim.js';

const submit = (port: number, mail: Record<string, unknown>) => {
  const tx = nodemailer.createTransport({
    host: '127.0.0.1', port, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.com', pass: 'pw-alice' },
  });
  return tx.sendMail(mail).finally(() => tx.close());
};

t.test('relay: smarthost delivery, DKIM, retry after 4xx, DSN after 5xx', async (t) => {
  const remote = await startFakeRemote(t);
  const s = await startTestServer(t, { smtp: { relay: { smarthost: '127.0.0.1', port: remote.port, secure: false } } });
  await s.addUser('alice@example.com', 'pw-alice');
  const bounces: { to: string; dsn: string }[] = [];
  s.services.outbound.bounce = async (to, dsn) => { bounces.push({ to, dsn: dsn.toString() }); };

  // 1. Delivered through the smarthost, DKIM-signed for example.com; the signature verifies.
  const info = await submit(s.ports.submissions!, { from: 'alice@example.com', to: 'friend@remote.test', subject: 'hi', text: 'hello' });
  t.match(info.response, /queued as/);
  const got = await eventually(() => remote.received[0]);
  t.same(got.to, ['friend@remote.test']);
  t.equal(got.from, 'alice@example.com');
  const key = await readDkimKey(s.root, 'example.com');
  const pub = createPublicKey(key!).export({ type: 'spki', format: 'der' }).toString('base64');
  const v = await dkimVerify(got.data, {
    resolver: async (name: string, rr: string) => {
      if (rr === 'TXT' && name === 'rmail._domainkey.example.com') return [[`v=DKIM1; k=rsa; p=${pub}`]];
      throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
    },
  } as any);
  t.equal(v.results[0]?.status.result, 'pass', 'DKIM signature verifies');
  t.match(got.data.toString(), /^DKIM-Signature: /, 'signature first');
  await eventually(() => s.services.outbound.list().length === 0);

  // 2. The remote answers 450: the message stays queued; after the remote recovers, a flush delivers it.
  remote.rcptReply = () => 450;
  await submit(s.ports.submissions!, { from: 'alice@example.com', to: 'later@remote.test', subject: 'later', text: 'x' });
  const queued = await eventually(() => s.services.outbound.list().find((e) => e.attempts >= 1));
  t.equal(queued.recipients[0]!.status, 'pending');
  t.match(queued.last_error, /450/);
  t.ok(Date.parse(queued.next_attempt) > Date.now() + 30_000, 'backoff before the next attempt');
  remote.rcptReply = () => 0;
  await s.services.outbound.flush();
  t.equal(s.services.outbound.list().length, 0, 'delivered after retry');
  t.ok(remote.received.some((m) => m.to.includes('later@remote.test')));

  // 3. The remote answers 550: one DSN to the sender, the entry is gone.
  remote.rcptReply = (a) => (a.startsWith('gone') ? 550 : 0);
  await submit(s.ports.submissions!, { from: 'alice@example.com', to: ['gone@remote.test', 'ok@remote.test'], subject: 'mixed', text: 'x' });
  await eventually(() => bounces.length === 1 && s.services.outbound.list().length === 0);
  t.equal(bounces[0]!.to, 'alice@example.com');
  t.match(bounces[0]!.dsn, /multipart\/report; report-type=delivery-status/);
  t.match(bounces[0]!.dsn, /Final-Recipient: rfc822; gone@remote\.test/);
  t.match(bounces[0]!.dsn, /Status: 5\.1\.1/);
  t.notMatch(bounces[0]!.dsn, /Final-Recipient: rfc822; ok@remote\.test/);
  t.match(bounces[0]!.dsn, /Subject: mixed/, 'original headers included');
  t.ok(remote.received.some((m) => m.to.includes('ok@remote.test')), 'the good recipient got it');

  // 4. Expiry: a recipient still deferred after maxAge is bounced (4.4.7 when the remote said nothing better).
  s.services.outbound.options.maxAgeMs = 0;
  remote.rcptReply = () => 450;
  await submit(s.ports.submissions!, { from: 'alice@example.com', to: 'slow@remote.test', subject: 'slow', text: 'x' });
  await eventually(() => bounces.length === 2 && s.services.outbound.list().length === 0);
  t.match(bounces[1]!.dsn, /Final-Recipient: rfc822; slow@remote\.test/);
});

t.test('relay: the queue survives a restart', async (t) => {
  const remote = await startFakeRemote(t);
  remote.rcptReply = () => 451;
  const root = mkdtempSync(join(tmpdir(), 'rmail-queue-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cfg = { mail_root: root, smtp: { relay: { smarthost: '127.0.0.1', port: remote.port, secure: false } } };
  const s1 = await startTestServer(t, cfg);
  await s1.addUser('alice@example.com', 'pw-alice');
  await submit(s1.ports.submissions!, { from: 'alice@example.com', to: 'x@remote.test', subject: 'persist', text: 'x' });
  await eventually(() => s1.services.outbound.list().find((e) => e.attempts >= 1));
  await s1.stop();
  t.ok(readdirSync(join(root, 'queue')).some((n) => n.endsWith('.eml')), 'message on disk');

  remote.rcptReply = () => 0;
  const s2 = await startTestServer(t, cfg);
  t.equal(s2.services.outbound.list().length, 1, 'reloaded after restart');
  await s2.services.outbound.flush();
  t.ok(remote.received.some((m) => m.to.includes('x@remote.test') && /Subject: persist/.test(m.data.toString())));
  t.equal(s2.services.outbound.list().length, 0);
});

t.test('relay by MX lookup: preference order, null MX and unknown domains bounce', async (t) => {
  const remote = await startFakeRemote(t);
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const bounces: string[] = [];
  s.services.outbound.bounce = async (_to, dsn) => { bounces.push(dsn.toString()); };
  s.services.outbound.options.send = {
    ...s.services.outbound.options.send,
    mxPort: remote.port,
    resolveMx: async (domain) => {
      if (domain === 'mx.test') return ['127.0.0.1'];
      if (domain === 'nullmx.test') return [];
      throw Object.assign(new Error('queryMx ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  };
  await submit(s.ports.submissions!, { from: 'alice@example.com', to: ['a@mx.test', 'b@nullmx.test', 'c@nx.test'], subject: 'mx', text: 'x' });
  await eventually(() => bounces.length === 1 && s.services.outbound.list().length === 0);
  t.same(remote.received.map((m) => m.to), [['a@mx.test']], 'delivered to the MX host');
  t.match(bounces[0]!, /Final-Recipient: rfc822; b@nullmx\.test\r\nAction: failed\r\nStatus: 5\.1\.10/);
  t.match(bounces[0]!, /Final-Recipient: rfc822; c@nx\.test\r\nAction: failed\r\nStatus: 5\.1\.2/);
});
