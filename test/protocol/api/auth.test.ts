import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { request, login } from '../../helpers/http.js';

t.test('login and admin users', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('admin@example.com', 'pw-admin', { admin: true });
  const token = await login(s.url, 'admin@example.com', 'pw-admin');
  const r = await request(`${s.url}/admin/users?domain=example.com`, { token });
  t.equal(r.status, 200);
  t.equal(r.json.users[0].username, 'admin');
  t.equal(r.headers.get('access-control-allow-origin'), '*');
  const bad = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'admin', password: 'x', domain: 'example.com' } });
  t.equal(bad.status, 401);
  const nf = await request(`${s.url}/nope`);
  t.equal(nf.status, 404);
  t.same(nf.json, { error: 'Not found' });
  const opt = await request(`${s.url}/anything`, { method: 'OPTIONS' });
  t.equal(opt.status, 204);
  const pf = await request(`${s.url}/admin/users`, { method: 'PROPFIND' });
  t.equal(pf.status, 405);
});
