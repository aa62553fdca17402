import t from 'tap';
import { SignJWT, UnsecuredJWT } from 'jose';
import { startTestServer } from '../../helpers/server.js';
import { request, login } from '../../helpers/http.js';

const SECRET = 'a'.repeat(64);

t.test('login: both username forms, domain inference, errors', async (t) => {
  const s = await startTestServer(t, { exchange_api: { token_secret: SECRET } });
  await s.addUser('alice@example.com', 'secret');
  const a = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'alice', password: 'secret', domain: 'example.com' } });
  t.equal(a.status, 200);
  t.same(Object.keys(a.json).sort(), ['domain', 'expires_in', 'token', 'username']);
  t.equal(a.json.username, 'alice');
  t.equal(a.json.domain, 'example.com');
  t.equal(a.json.expires_in, 3600);
  const b = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'alice@example.com', password: 'secret' } });
  t.equal(b.status, 200);
  const c = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'alice', password: 'secret' } });
  t.equal(c.status, 200, 'domain inferred from the first configured domain');
  const wrong = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'alice', password: 'nope' } });
  t.equal(wrong.status, 401);
  t.same(wrong.json, { error: 'Invalid username or password' });
  const bad = await request(`${s.url}/auth/login`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
  t.equal(bad.status, 400);
  t.same(bad.json, { error: 'Invalid JSON' });
  t.equal((await request(`${s.url}/auth/login`, { method: 'POST', body: { password: 'x' } })).status, 400);
  t.equal((await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'alice' } })).status, 400);
  t.equal((await request(`${s.url}/auth/login`, { method: 'POST', body: [1] })).status, 400);
  t.equal((await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'nobody', password: 'x' } })).status, 401);
  t.equal((await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'alice', password: 'secret', domain: 5 } })).status, 400);
});

t.test('bearer tokens: missing, tampered, alg none, wrong key, expired', async (t) => {
  const s = await startTestServer(t, { exchange_api: { token_secret: SECRET } });
  await s.addUser('alice@example.com', 'secret');
  const token = await login(s.url, 'alice@example.com', 'secret');
  t.equal((await request(`${s.url}/aliases`, { token })).status, 200);
  const none = await request(`${s.url}/aliases`);
  t.equal(none.status, 401);
  t.same(none.json, { error: 'Authentication required' });
  t.match(none.headers.get('www-authenticate') ?? '', /Basic/);
  const [h, p, sig] = token.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
  const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'admin@example.com' })).toString('base64url');
  t.equal((await request(`${s.url}/aliases`, { token: `${h}.${forged}.${sig}` })).status, 401, 'tampered payload');
  const algNone = new UnsecuredJWT({ sub: 'alice@example.com' }).setExpirationTime('1h').encode();
  t.equal((await request(`${s.url}/aliases`, { token: algNone })).status, 401, 'alg none');
  const wrongKey = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice@example.com')
    .setExpirationTime('1h').sign(Buffer.from('b'.repeat(64)));
  t.equal((await request(`${s.url}/aliases`, { token: wrongKey })).status, 401, 'wrong key');
  const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice@example.com')
    .setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(Buffer.from(SECRET));
  t.equal((await request(`${s.url}/aliases`, { token: expired })).status, 401, 'expired');
  const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('alice@example.com')
    .setExpirationTime('1h').sign(Buffer.from(SECRET));
  t.equal((await request(`${s.url}/aliases`, { token: hs512 })).status, 401, 'other algorithm');
  const valid = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice@example.com')
    .setExpirationTime('1h').sign(Buffer.from(SECRET));
  t.equal((await request(`${s.url}/aliases`, { token: valid })).status, 200, 'a token signed with the configured secret');
  t.equal((await request(`${s.url}/aliases`, { token: 'garbage' })).status, 401);
  t.equal((await request(`${s.url}/aliases`, { headers: { authorization: 'Digest x' } })).status, 401);
});

t.test('basic auth, disabled accounts refused everywhere', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('admin@example.com', 'adminpw', { admin: true });
  await s.addUser('bob@example.com', 'bobpw');
  t.equal((await request(`${s.url}/aliases`, { basic: ['bob@example.com', 'bobpw'] })).status, 200);
  t.equal((await request(`${s.url}/aliases`, { basic: ['bob@example.com', 'bobpw'] })).status, 200, 'cached check');
  t.equal((await request(`${s.url}/aliases`, { basic: ['bob@example.com', 'wrong'] })).status, 401);
  t.equal((await request(`${s.url}/aliases`, { headers: { authorization: 'Basic !!!' } })).status, 401);
  const bobToken = await login(s.url, 'bob@example.com', 'bobpw');
  const admin = await login(s.url, 'admin@example.com', 'adminpw');
  const p = await request(`${s.url}/admin/users/bob?domain=example.com`, { method: 'PATCH', token: admin, body: { enabled: false } });
  t.equal(p.status, 200);
  t.equal(p.json.enabled, false);
  const l = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'bob@example.com', password: 'bobpw' } });
  t.equal(l.status, 403, 'login of a disabled user is 403');
  t.equal((await request(`${s.url}/aliases`, { token: bobToken })).status, 403, 'an old token of a disabled user');
  t.equal((await request(`${s.url}/aliases`, { basic: ['bob@example.com', 'bobpw'] })).status, 403, 'basic of a disabled user');
});

t.test('auth-failure lockout: 429 after 5 failures, also for good credentials', async (t) => {
  const s = await startTestServer(t, { rate_limit: { whitelist: [], lockout_s: 60 } });
  await s.addUser('carol@example.com', 'carolpw');
  for (let i = 0; i < 5; i++) {
    const r = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'carol@example.com', password: 'bad' } });
    t.equal(r.status, 401, `failure ${i + 1}`);
  }
  const locked = await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'carol@example.com', password: 'carolpw' } });
  t.equal(locked.status, 429);
  t.match(locked.json.error, /Too many/);
  t.equal((await request(`${s.url}/aliases`, { basic: ['carol@example.com', 'carolpw'] })).status, 429);
});

t.test('whitelisted localhost is never locked out', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('dave@example.com', 'davepw');
  for (let i = 0; i < 7; i++) {
    await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'dave@example.com', password: 'bad' } });
  }
  t.equal((await request(`${s.url}/auth/login`, { method: 'POST', body: { username: 'dave@example.com', password: 'davepw' } })).status, 200);
});

t.test('per-IP request rate limit answers 429', async (t) => {
  const s = await startTestServer(t, { rate_limit: { whitelist: [], requests_per_minute: 5 } });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await request(`${s.url}/nothing`)).status);
  t.same(statuses.slice(0, 5), [404, 404, 404, 404, 404]);
  t.equal(statuses[7], 429);
});

t.test('front end: CORS, OPTIONS *, 404, 405, every DAV verb reaches the router, body limit', async (t) => {
  const s = await startTestServer(t);
  const nf = await request(`${s.url}/nope`);
  t.equal(nf.status, 404);
  t.same(nf.json, { error: 'Not found' });
  t.equal(nf.headers.get('access-control-allow-origin'), '*');
  const opt = await request(`${s.url}/anything`, { method: 'OPTIONS' });
  t.equal(opt.status, 204);
  t.equal(opt.headers.get('access-control-allow-origin'), '*');
  t.match(opt.headers.get('access-control-allow-methods') ?? '', /PROPFIND/);
  const allowed = (opt.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
  for (const h of ['If', 'If-Match', 'If-None-Match', 'If-Modified-Since', 'If-Unmodified-Since', 'If-Range', 'Range', 'Depth', 'Destination', 'Overwrite', 'Lock-Token']) {
    t.ok(allowed.includes(h), `a browser may send ${h} cross-origin`);
  }
  t.match(opt.headers.get('access-control-expose-headers') ?? '', /Content-Range/);
  for (const m of ['PROPFIND', 'PROPPATCH', 'REPORT', 'MKCALENDAR', 'MKCOL', 'MOVE', 'COPY', 'LOCK', 'UNLOCK']) {
    const r = await request(`${s.url}/auth/login`, { method: m });
    t.equal(r.status, 405, `${m} reaches the router`);
    t.equal(r.headers.get('allow'), 'POST');
  }
  const big = await request(`${s.url}/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'x'.repeat(20000), password: 'y' }), headers: { 'content-type': 'application/json' } });
  t.equal(big.status, 413);
  t.same(big.json, { error: 'Payload too large' });
  const enc = await request(`${s.url}/admin/users/%E0%A4%A`);
  t.equal(enc.status, 400);
  t.same(enc.json, { error: 'Bad path encoding' });
});
