import t, { type Test } from 'tap';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, rawConnectTls, RawImap } from '../../helpers/imap.js';
import { flow } from '../../helpers/imapflow.js';
import { startImapServers } from '../../../src/imap/server.js';

t.test('LOGINDISABLED until STARTTLS outside trusted networks; implicit TLS', async (t) => {
  const s = await startTestServer(t, { trusted_networks: [], rate_limit: { whitelist: [] } });
  await s.addUser('alice@example.com', 'pw');
  const { c, greeting } = await rawConnect(s.ports.imap!);
  t.match(greeting, /STARTTLS LOGINDISABLED\]/);
  t.notMatch(greeting, /AUTH=PLAIN/);
  t.match((await c.cmd('LOGIN alice@example.com pw')).tagged, /NO \[PRIVACYREQUIRED\]/);
  t.match((await c.cmd('AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHB3')).tagged, /NO \[PRIVACYREQUIRED\]/);
  c.close();
  const plain = netConnect(s.ports.imap!, '127.0.0.1');
  let got = '';
  plain.on('data', (d) => { got += d.toString('latin1'); });
  while (!got.includes('\r\n')) await new Promise((r) => setTimeout(r, 10));
  plain.write('S1 STARTTLS\r\nS2 NOOP\r\n');
  while (!got.includes('S1 ')) await new Promise((r) => setTimeout(r, 10));
  t.match(got, /S1 BAD No pipelining after STARTTLS/, 'plaintext pipelined after STARTTLS is refused');
  plain.write('S3 STARTTLS\r\n');
  while (!got.includes('S3 ')) await new Promise((r) => setTimeout(r, 10));
  t.match(got, /S3 OK Begin TLS/);
  plain.removeAllListeners('data');
  const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
  await new Promise((r) => secure.once('secureConnect', r));
  const tc = new RawImap(secure);
  const cap = await tc.cmd('CAPABILITY');
  t.match(cap.untagged[0], /AUTH=PLAIN/);
  t.notMatch(cap.untagged[0], /STARTTLS|LOGINDISABLED/);
  t.match((await tc.cmd('AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHB3')).tagged, /OK \[CAPABILITY/);
  tc.close();

  const { c: imaps, greeting: g2 } = await rawConnectTls(s.ports.imaps!);
  t.match(g2, /AUTH=PLAIN/);
  t.notMatch(g2, /STARTTLS/);
  t.match((await imaps.cmd(`LOGIN alice@example.com pw`)).tagged, /OK/, 'LOGIN allowed over implicit TLS');
  imaps.close();

  const capped = await startImapServers(s.services, s.tls, '127.0.0.1', { ports: { port: 0, tls_port: null }, limits: { perIp: 2 } });
  t.teardown(() => capped.close());
  const one = await rawConnect(capped.ports.imap!);
  const two = await rawConnect(capped.ports.imap!);
  const three = await rawConnect(capped.ports.imap!);
  t.match(three.greeting, /^\* BYE \[UNAVAILABLE\] Too many connections/, 'per-IP cap');
  one.c.close();
  two.c.close();

  const f = await flow(t, s.ports.imaps!, 'alice@example.com', 'pw', { secure: true });
  t.ok(f.usable, 'imapflow over implicit TLS');
  const f2 = await flow(t, s.ports.imap!, 'alice@example.com', 'pw');
  t.ok(f2.secureConnection || f2.usable, 'imapflow upgrades with STARTTLS');
});

/** A plain-port IMAP server for alice with a per-user cap of 2 and a 1.5 s autologout. */
async function limitedServer(t: Test): Promise<number> {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const imap = await startImapServers(s.services, s.tls, '127.0.0.1', {
    ports: { port: 0, tls_port: null },
    limits: { perUser: 2, idleMs: 1500 },
  });
  t.teardown(() => imap.close());
  return imap.ports.imap!;
}

t.test('AUTHENTICATE PLAIN with continuation, cancel, limits and idle timeout', async (t) => {
  const port = await limitedServer(t);
  const { c } = await rawConnect(port);
  c.write('A1 AUTHENTICATE PLAIN\r\n');
  await c.waitFor(/^\+ \r\n/m);
  c.write('*\r\n');
  t.match(await c.waitFor(/A1 [^\r]*\r\n/), /A1 BAD/);
  c.write('A2 AUTHENTICATE PLAIN\r\n');
  await c.waitFor(/^\+ \r\n/m);
  c.write(`${Buffer.from('\0alice@example.com\0pw').toString('base64')}\r\n`);
  t.match(await c.waitFor(/A2 [^\r]*\r\n/), /A2 OK/);
  const { c: c2 } = await rawConnect(port);
  t.match((await c2.cmd('LOGIN alice@example.com pw')).tagged, /OK/);
  const { c: c3 } = await rawConnect(port);
  t.match((await c3.cmd('LOGIN alice@example.com pw')).tagged, /NO \[LIMIT\]/, 'per-user cap');
  c2.close();
  await new Promise((r) => setTimeout(r, 100));
  t.match((await c3.cmd('LOGIN alice@example.com pw')).tagged, /OK/, 'a slot freed by logout');
  c3.close();
  // idle timeout: c says nothing for 1.5 s
  t.match(await c.waitFor(/\* BYE[^\r]*\r\n/, 4000), /BYE Autologout/);
});

t.test('input keeps a session from the autologout; silence ends it after idleMs', async (t) => {
  const { c } = await rawConnect(await limitedServer(t));
  t.match((await c.cmd('LOGIN alice@example.com pw')).tagged, /OK/);
  // a command every 400 ms for 3.2 s: twice idleMs since the login, never idleMs without input
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 400));
    t.match((await c.cmd('NOOP')).tagged, /OK/, `still served after ${(i + 1) * 400} ms`);
  }
  t.notOk(c.closed, 'not logged out while the client talks');
  t.match(await c.waitFor(/\* BYE[^\r]*\r\n/, 4000), /BYE Autologout/, 'logged out once silent');
});
