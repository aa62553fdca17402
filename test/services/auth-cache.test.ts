/** SPF/DMARC of unsigned mail: a sender's next messages reuse the headers (no DNS, no mailauth work). */
import t from 'tap';
import { DeliveryService, type ClientInfo } from '../../src/services/delivery.js';
import { Spool } from '../../src/services/spool.js';
import { silentLogger } from '../../src/main/log.js';
import type { Config } from '../../src/common/types.js';

t.test('authentication headers are cached per (ip, helo, sender, From)', async (t) => {
  const d = new DeliveryService({ config: { hostname: 'mx.test' } as Config, log: silentLogger, accounts: {} as never, mail: {} as never });
  const asked: string[] = [];
  d.resolver = async (name: string, rr: string) => {
    asked.push(`${rr} ${name}`);
    if (rr === 'TXT' && name === 'remote.test') return [['v=spf1 ip4:10.0.0.1 -all']];
    throw Object.assign(new Error('no such domain'), { code: 'ENOTFOUND' });
  };
  const info = (ip: string): ClientInfo => ({ ip, helo: 'client.remote.test', sender: 'a@remote.test', protocol: 'ESMTP', id: 'x' });
  const msg = (from: string) => Spool.from('/nonexistent', Buffer.from(`From: ${from}\r\nSubject: s\r\n\r\nbody\r\n`));
  const first = await d.authResults(await msg('A <a@remote.test>'), info('10.0.0.1'));
  t.match(first, /spf=pass/);
  t.match(first, /dmarc=\w+ header\.from=remote\.test/);
  const n = asked.length;
  t.ok(n > 0, 'DNS asked the first time');
  t.equal(await d.authResults(await msg('A <a@remote.test>'), info('10.0.0.1')), first, 'same headers');
  t.equal(asked.length, n, 'no DNS the second time');
  const other = await d.authResults(await msg('A <a@remote.test>'), info('10.0.0.2'));
  t.match(other, /spf=fail/, 'another client ip is checked afresh');
  const otherFrom = await d.authResults(await msg('B <b@elsewhere.test>'), info('10.0.0.1'));
  t.match(otherFrom, /header\.from=elsewhere\.test/, 'another From is checked afresh');
  d.resolver = async () => { throw Object.assign(new Error('down'), { code: 'ETIMEOUT' }); };
  t.not(await d.authResults(await msg('A <a@remote.test>'), info('10.0.0.1')), first, 'a new resolver is not answered from the old one\'s cache');
});
