import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { WebClient } from '../../helpers/webmail.js';

t.test('login, session cookie, CSRF and logout', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const base = s.config.public_url;
  t.match(base, /^http:\/\/localhost:\d+$/, 'public_url carries the real port');
  const c = new WebClient(s.url);

  const anon = await c.get('/webmail/INBOX');
  t.equal(anon.status, 303, 'no session: redirect');
  t.match(anon.headers.get('location'), `${base}/webmail/login?next=`);

  const form = await c.get('/webmail/login');
  t.equal(form.status, 200);
  t.match(form.headers.get('content-security-policy'), /script-src 'none'/);
  t.ok(form.$('form.login-form input[name=username]'));
  t.ok(form.$('form.login-form input[name=password]'));
  for (const a of form.$$('a[href], link[href], form[action]')) {
    const url = a.getAttribute('href') ?? a.getAttribute('action');
    t.ok(url!.startsWith(base), `absolute link ${url}`);
  }
  const csrf = WebClient.csrf(form);
  t.ok(csrf, 'login form has a CSRF token');

  const wrongToken = await c.post('/webmail/login', { username: 'alice@example.com', password: 'pw-alice', csrf: 'nope' });
  t.equal(wrongToken.status, 403, 'bad CSRF token refused');
  const crossSite = await new WebClient(s.url).post('/webmail/login', { username: 'alice@example.com', password: 'pw-alice' },
    { origin: 'https://evil.example' });
  t.equal(crossSite.status, 403, 'cross-site login refused');

  const bad = await c.post('/webmail/login', { username: 'alice@example.com', password: 'wrong', csrf });
  t.equal(bad.status, 401);
  t.ok(bad.$('.form-error'));

  const ok = await c.post('/webmail/login', { username: 'alice@example.com', password: 'pw-alice', csrf });
  t.equal(ok.status, 303);
  const cookie = ok.headers.get('set-cookie')!;
  t.match(cookie, /rmail_session=/);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Lax/);
  t.notMatch(cookie, /Secure/, 'no Secure flag over plain HTTP');

  // a token-less post from a script (no Origin) still signs in
  const script = await new WebClient(s.url).post('/webmail/login', { username: 'alice@example.com', password: 'pw-alice' });
  t.equal(script.status, 303);

  const logoutNoToken = await c.post('/webmail/logout', {});
  t.equal(logoutNoToken.status, 403, 'POST without CSRF token refused');
  const inbox = await c.get('/webmail/login');
  t.equal(inbox.status, 303, 'login page redirects a signed-in user');

  // a password change ends existing sessions; so does disabling the account
  const c3 = new WebClient(s.url);
  t.equal((await c3.login('alice@example.com', 'pw-alice')).status, 200);
  await s.services.accounts.setPassword('alice', 'example.com', 'pw-new');
  t.equal((await c3.get('/webmail/INBOX')).status, 303, 'session ended by the password change');
  const c4 = new WebClient(s.url);
  t.equal((await c4.login('alice@example.com', 'pw-new')).status, 200);
  await s.services.accounts.update('alice', 'example.com', { enabled: false });
  t.equal((await c4.get('/webmail/INBOX')).status, 303, 'session ended by disabling');
  await s.services.accounts.update('alice', 'example.com', { enabled: true });

  const docs = await c.get('/docs/');
  t.equal(docs.status, 200);
  t.ok(docs.$('article.docs'));
});

t.test('Secure cookie over TLS public URL, registration switch, lockout', async (t) => {
  const s = await startTestServer(t, { public_url: 'https://mail.example.com:9443', rate_limit: { whitelist: [] } });
  await s.addUser('bob@example.com', 'pw-bob');
  const c = new WebClient(s.url);
  const reg = await c.get('/webmail/register');
  t.equal(reg.status, 404, 'registration off by default');
  const form = await c.get('/webmail/login');
  const csrf = WebClient.csrf(form);
  for (let i = 0; i < 5; i++) await c.post('/webmail/login', { username: 'bob@example.com', password: 'x', csrf });
  const locked = await c.post('/webmail/login', { username: 'bob@example.com', password: 'pw-bob', csrf });
  t.equal(locked.status, 429, 'the shared lockout applies');
  const c2 = new WebClient(s.url);
  t.match(c2 && (await c2.get('/webmail/login')).headers.get('set-cookie'), /Secure/);
});

t.test('registration when enabled', async (t) => {
  const s = await startTestServer(t, { webmail: { registration: true } });
  const c = new WebClient(s.url);
  const reg = await c.get('/webmail/register');
  t.equal(reg.status, 200);
  const csrf = WebClient.csrf(reg);
  const mismatch = await c.post('/webmail/register', { username: 'carol', domain: 'example.com', password: 'a', password2: 'b', csrf });
  t.equal(mismatch.status, 400);
  const ok = await c.post('/webmail/register', { username: 'carol', domain: 'example.com', password: 'pw-carol', password2: 'pw-carol', csrf });
  t.equal(ok.status, 303);
  t.ok(await s.services.accounts.get('carol', 'example.com'));
  const dup = await c.post('/webmail/register', { username: 'carol', domain: 'example.com', password: 'x', password2: 'x', csrf });
  t.equal(dup.status, 409);
});
