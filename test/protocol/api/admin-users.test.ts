import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request, login } from '../../helpers/http.js';

t.test('admin user management: every endpoint and error status', async (t) => {
  const s = await startTestServer(t, { domains: ['example.com', 'other.org'] });
  await s.addUser('admin@example.com', 'adminpw', { admin: true });
  await s.addUser('alice@example.com', 'alicepw');
  const admin = await login(s.url, 'admin@example.com', 'adminpw');
  const alice = await login(s.url, 'alice@example.com', 'alicepw');
  const u = (p: string) => `${s.url}${p}`;

  t.equal((await request(u('/admin/users'))).status, 401, 'no token');
  t.equal((await request(u('/admin/users'), { token: alice })).status, 403, 'not an admin');
  t.same((await request(u('/admin/users'), { token: alice })).json, { error: 'Admin privileges required' });

  const list = await request(u('/admin/users'), { token: admin });
  t.equal(list.status, 200, 'domain defaults to the admin\'s');
  t.same(list.json.users.map((x: { username: string }) => x.username), ['admin', 'alice']);
  t.same(Object.keys(list.json.users[1]).sort(), ['admin', 'created', 'domain', 'enabled', 'quota_mb', 'username']);
  t.equal(list.json.users[1].quota_mb, 1024);
  t.match(list.json.users[1].created, /^\d{4}-\d\d-\d\dT/);
  t.equal((await request(u('/admin/users?domain=bad_domain'), { token: admin })).status, 400);

  const created = await request(u('/admin/users'), {
    method: 'POST', token: admin, body: { username: 'bob', password: 'secret123', domain: 'example.com', admin: false, quota_mb: 2048 },
  });
  t.equal(created.status, 201);
  t.same(created.json, { ...created.json, username: 'bob', domain: 'example.com', enabled: true, admin: false, quota_mb: 2048 });
  t.notOk('password_hash' in created.json, 'never returns the hash');
  t.equal((await request(u('/admin/users'), { method: 'POST', token: admin, body: { username: 'bob', password: 'x', domain: 'example.com' } })).status, 409);
  const other = await request(u('/admin/users'), { method: 'POST', token: admin, body: { username: 'zed', password: 'x', domain: 'other.org' } });
  t.equal(other.status, 201, 'an admin may create users in another served domain');
  for (const [body, why] of [
    [{ password: 'x', domain: 'example.com' }, 'missing username'],
    [{ username: 'Bob', password: 'x', domain: 'example.com' }, 'uppercase username'],
    [{ username: 'b/c', password: 'x', domain: 'example.com' }, 'slash'],
    [{ username: 'c', domain: 'example.com' }, 'missing password'],
    [{ username: 'c', password: '', domain: 'example.com' }, 'empty password'],
    [{ username: 'c', password: 'x'.repeat(1025), domain: 'example.com' }, 'password over 1024 bytes'],
    [{ username: 'c', password: 'x' }, 'missing domain'],
    [{ username: 'c', password: 'x', domain: 'not a domain' }, 'bad domain'],
    [{ username: 'c', password: 'x', domain: 'unserved.net' }, 'unserved domain'],
    [{ username: 'c', password: 'x', domain: 'example.com', quota_mb: 0 }, 'quota 0'],
    [{ username: 'c', password: 'x', domain: 'example.com', quota_mb: 1048577 }, 'quota too big'],
    [{ username: 'c', password: 'x', domain: 'example.com', admin: 'yes' }, 'admin not bool'],
  ] as const) {
    const r = await request(u('/admin/users'), { method: 'POST', token: admin, body });
    t.equal(r.status, 400, why);
    t.type(r.json.error, 'string');
  }
  t.equal((await request(u('/admin/users'), { method: 'POST', token: admin, body: 'nope', headers: { 'content-type': 'application/json' } })).status, 400);

  const one = await request(u('/admin/users/bob?domain=example.com'), { token: admin });
  t.equal(one.status, 200);
  t.equal(one.json.username, 'bob');
  t.notOk('password_hash' in one.json);
  t.equal((await request(u('/admin/users/nobody?domain=example.com'), { token: admin })).status, 404);
  t.equal((await request(u('/admin/users/BAD!?domain=example.com'), { token: admin })).status, 400);

  const patched = await request(u('/admin/users/bob?domain=example.com'), { method: 'PATCH', token: admin, body: { quota_mb: 10, admin: true } });
  t.equal(patched.status, 200);
  t.equal(patched.json.quota_mb, 10);
  t.equal(patched.json.admin, true);
  t.equal(patched.json.enabled, true, 'fields not given are unchanged');
  t.equal((await request(u('/admin/users/bob?domain=example.com'), { method: 'PATCH', token: admin, body: { quota_mb: -1 } })).status, 400);
  t.equal((await request(u('/admin/users/bob?domain=example.com'), { method: 'PATCH', token: admin, body: { enabled: 'no' } })).status, 400);
  t.equal((await request(u('/admin/users/bob?domain=example.com'), { method: 'PATCH', token: admin, body: { password: 'x' } })).status, 400);
  t.equal((await request(u('/admin/users/ghost?domain=example.com'), { method: 'PATCH', token: admin, body: { enabled: false } })).status, 404);

  const pw = await request(u('/admin/users/bob/password?domain=example.com'), { method: 'PUT', token: admin, body: { password: 'new-secure-password' } });
  t.equal(pw.status, 200);
  t.equal((await request(u('/auth/login'), { method: 'POST', body: { username: 'bob@example.com', password: 'secret123' } })).status, 401);
  t.equal((await request(u('/auth/login'), { method: 'POST', body: { username: 'bob@example.com', password: 'new-secure-password' } })).status, 200);
  t.equal((await request(u('/admin/users/bob/password?domain=example.com'), { method: 'PUT', token: admin, body: {} })).status, 400);
  t.equal((await request(u('/admin/users/bob/password?domain=example.com'), { method: 'PUT', token: admin, body: { password: '' } })).status, 400);
  t.equal((await request(u('/admin/users/ghost/password?domain=example.com'), { method: 'PUT', token: admin, body: { password: 'p' } })).status, 404);
  t.equal((await request(u('/admin/users/bob/password?domain=example.com'), { method: 'PUT', token: alice, body: { password: 'p' } })).status, 403);

  const bobDir = join(s.root, 'domains', 'example.com', 'users', 'bob');
  t.ok(existsSync(join(bobDir, 'account.json')), 'reference.md layout');
  const del = await request(u('/admin/users/bob?domain=example.com'), { method: 'DELETE', token: admin });
  t.equal(del.status, 200);
  t.notOk(existsSync(bobDir), 'all the user\'s data is gone');
  t.equal((await request(u('/admin/users/bob?domain=example.com'), { method: 'DELETE', token: admin })).status, 404);
  t.equal((await request(u('/admin/users/bob?domain=example.com'), { token: admin })).status, 404);
  t.equal((await request(u('/auth/login'), { method: 'POST', body: { username: 'bob@example.com', password: 'new-secure-password' } })).status, 401);
});

t.test('an admin can create another admin who can then manage users', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('root@example.com', 'rootpw', { admin: true });
  const root = await login(s.url, 'root@example.com', 'rootpw');
  t.equal((await request(`${s.url}/admin/users`, { method: 'POST', token: root, body: { username: 'ops', password: 'opspw', domain: 'example.com', admin: true } })).status, 201);
  const ops = await login(s.url, 'ops@example.com', 'opspw');
  t.equal((await request(`${s.url}/admin/users`, { token: ops })).status, 200);
});

t.test('1,000 concurrent mutations of one account through its actor lose nothing', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('counter@example.com', 'pw');
  const accounts = s.services.accounts;
  await Promise.all(Array.from({ length: 1000 }, () =>
    accounts.mutateRecord('counter', 'example.com', (r) => ({ ...r, quota_mb: r.quota_mb + 1 }))));
  const rec = await accounts.require('counter', 'example.com');
  t.equal(rec.quota_mb, 1024 + 1000);
  const admin = s.services.auth;
  t.ok(admin);
});

t.test('concurrent PATCHes over HTTP: the last state is one of the requests and the file is valid', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('admin@example.com', 'adminpw', { admin: true });
  await s.addUser('eve@example.com', 'evepw');
  const admin = await login(s.url, 'admin@example.com', 'adminpw');
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    request(`${s.url}/admin/users/eve?domain=example.com`, { method: 'PATCH', token: admin, body: { quota_mb: 100 + i } })));
  t.ok(results.every((r) => r.status === 200));
  const final = await request(`${s.url}/admin/users/eve?domain=example.com`, { token: admin });
  t.ok(final.json.quota_mb >= 100 && final.json.quota_mb < 150);
});
