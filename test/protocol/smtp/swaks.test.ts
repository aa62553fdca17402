import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { startTestServer } from '../../helpers/server.js';
import { request, login } from '../../helpers/http.js';

const run = promisify(execFile);
const swaks = ['/usr/bin/swaks', '/usr/local/bin/swaks'].find((p) => existsSync(p));

t.test('swaks delivers over the MX port; the HTTP API lists the message', { skip: swaks ? false : 'swaks not installed (apt-get install -y swaks)' }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@localhost', 'pw-alice');
  const server = `127.0.0.1:${s.ports.smtp}`;
  const ok = await run(swaks!, ['--to', 'alice@localhost', '--from', 'someone@remote.test', '--server', server,
    '--header', 'Subject: swaks test', '--body', 'hello from swaks']);
  t.match(ok.stdout, /<[~-] +250 OK/, 'DATA acknowledged with 250');
  await t.rejects(run(swaks!, ['--to', 'nobody@localhost', '--server', server]), 'unknown user refused');
  await t.rejects(run(swaks!, ['--to', 'victim@remote.test', '--server', server]), 'relay refused');
  const tls = await run(swaks!, ['--to', 'alice@localhost', '--server', `127.0.0.1:${s.ports.submission}`, '--tls',
    '--auth', 'PLAIN', '--auth-user', 'alice@localhost', '--auth-password', 'pw-alice', '--from', 'alice@localhost']);
  t.match(tls.stdout, /<[~-] +250 OK/, 'submission with STARTTLS + AUTH PLAIN');

  const token = await login(s.url, 'alice@localhost', 'pw-alice');
  const r = await request(`${s.url}/folders/INBOX/messages`, { token });
  t.equal(r.status, 200);
  t.equal(r.json.total, 2);
  t.ok(r.json.messages.some((m: { subject: string }) => m.subject === 'swaks test'), 'listed by the API');
});
