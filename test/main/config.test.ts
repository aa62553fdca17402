import t from 'tap';
import { buildConfig, defaultConfig, ConfigError, loadConfig } from '../../src/main/config.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('defaults match CONTRACT.md', async (t) => {
  const c = buildConfig({});
  t.equal(c.http.port, 9003);
  t.equal(c.http.tls, true);
  t.equal(c.imap.port, 1143);
  t.equal(c.imap.tls_port, 1993);
  t.equal(c.smtp.port, 2525);
  t.equal(c.smtp.submission_port, 2587);
  t.equal(c.smtp.submissions_port, 2465);
  t.equal(c.smtp.max_message_bytes, 26214400);
  t.equal(c.listen_host, '0.0.0.0');
  t.same(c.domains, ['localhost']);
  t.equal(c.public_url, 'https://localhost:9003');
  t.equal(c.rate_limit.auth_failures_before_lockout, 5);
  t.match(c.mail_root, /mailstore$/);
  t.same(defaultConfig().trusted_networks, ['127.0.0.0/8', '::1/128']);
});

t.test('overrides and derived values', async (t) => {
  const c = buildConfig({ hostname: 'Mail.Example.com', http: { port: 8443, tls: false }, domains: ['Example.com'] });
  t.equal(c.public_url, 'http://mail.example.com:8443');
  t.same(c.domains, ['localhost', 'example.com']);
  t.equal(c.imap.port, 1143, 'untouched keys keep defaults');
  const d = buildConfig({ public_url: 'https://mail.example.com/', imap: { port: null } });
  t.equal(d.public_url, 'https://mail.example.com');
  t.equal(d.imap.port, null);
});

t.test('unknown keys and wrong types name the key', async (t) => {
  t.throws(() => buildConfig({ nope: 1 }), new ConfigError('config: unknown key "nope"'));
  t.throws(() => buildConfig({ http: { prot: 1 } }), { message: /unknown key "http.prot"/ });
  t.throws(() => buildConfig({ http: { port: 'x' } }), { message: /http.port must be/ });
  t.throws(() => buildConfig({ http: { port: 70000 } }), { message: /http.port/ });
  t.throws(() => buildConfig({ domains: 'a' }), { message: /domains must be a list/ });
  t.throws(() => buildConfig({ rate_limit: { enabled: 'yes' } }), { message: /rate_limit.enabled/ });
  t.throws(() => buildConfig({ http: 5 }), { message: /http must be a JSON object/ });
  t.throws(() => buildConfig({ exchange_api: { token_secret: 'short' } }), { message: /token_secret/ });
  t.throws(() => buildConfig({ tls: { cert: 'a.pem' } }), { message: /together/ });
  t.throws(() => buildConfig([]), { message: /must be a JSON object/ });
});

t.test('loadConfig reads files and reports bad JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-cfg-'));
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ hostname: 'h.example' }));
  t.equal(loadConfig(good).hostname, 'h.example');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{nope');
  t.throws(() => loadConfig(bad), { message: /not valid JSON/ });
  t.throws(() => loadConfig(join(dir, 'missing.json')), { message: /cannot read/ });
  t.equal(loadConfig().http.port, 9003);
});
