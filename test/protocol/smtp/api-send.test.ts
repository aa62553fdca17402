import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { request, login } from '../../helpers/http.js';
import { startFakeRemote, eventually } from '../../helpers/smtp.js';

t.test('POST /messages/send: remote recipients go through the relay queue, DKIM-signed', async (t) => {
  const remote = await startFakeRemote(t);
  const s = await startTestServer(t, { smtp: { relay: { smarthost: '127.0.0.1', port: remote.port, secure: false } } });
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  const token = await login(s.url, 'alice@example.com', 'pw-alice');
  const r = await request(`${s.url}/messages/send`, {
    method: 'POST', token, body: { to: ['bob@example.com', 'friend@remote.test'], subject: 'API relay', body: 'hello' },
  });
  t.equal(r.status, 200, r.text);
  t.same(r.json.queued, ['friend@remote.test']);
  t.same(r.json.delivered, ['bob@example.com']);
  const got = await eventually(() => remote.received.find((m) => m.to.includes('friend@remote.test')));
  t.equal(got.from, 'alice@example.com');
  t.match(got.data.toString(), /^DKIM-Signature: [^\r\n]*\r\n(?:\s[^\r\n]*\r\n)*/, 'signed for example.com');
  t.match(got.data.toString(), /d=example\.com/);
  t.match(got.data.toString(), /Subject: API relay/);
  await eventually(() => s.services.outbound.list().length === 0);
});
