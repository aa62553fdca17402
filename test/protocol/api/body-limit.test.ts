import t from 'tap';
import http from 'node:http';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';

t.test('a 413 says Connection: close (uWS adds it) and hangs up; the next request works', async (t) => {
  const s = await startTestServer(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ username: 'x'.repeat(40000), password: 'y' });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(`${s.url}/auth/login`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, resolve);
    req.on('error', reject);
    req.end(body);
  });
  res.resume();
  t.equal(res.statusCode, 413);
  t.match(res.headers.connection, /close/);
  const next = await new Promise<number>((resolve, reject) => {
    http.get(`${s.url}/health`, { agent }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject);
  });
  t.equal(next, 200, 'the client opened a new connection');
  agent.destroy();
  t.equal((await request(`${s.url}/health`)).status, 200);
});
