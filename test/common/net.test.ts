import t from 'tap';
import { inCidr, normalizeIp, inTrustedNetworks } from '../../src/common/net.js';

t.test('normalizeIp', async (t) => {
  t.equal(normalizeIp('0000:0000:0000:0000:0000:ffff:7f00:0001'), '127.0.0.1');
  t.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3');
  t.equal(normalizeIp('0000:0000:0000:0000:0000:0000:0000:0001'), '::1');
  t.equal(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.equal(normalizeIp('192.0.2.1'), '192.0.2.1');
});

t.test('inCidr', async (t) => {
  t.ok(inCidr('127.0.0.1', '127.0.0.0/8'));
  t.ok(inCidr('127.255.1.2', '127.0.0.0/8'));
  t.notOk(inCidr('128.0.0.1', '127.0.0.0/8'));
  t.ok(inCidr('::1', '::1/128'));
  t.ok(inCidr('::ffff:127.0.0.1', '127.0.0.0/8'));
  t.notOk(inCidr('::2', '::1/128'));
  t.ok(inCidr('2001:db8::5', '2001:db8::/32'));
  t.ok(inCidr('10.0.0.1', '0.0.0.0/0'));
  t.notOk(inCidr('10.0.0.1', '::/0'));
  t.ok(inTrustedNetworks('127.0.0.1', ['127.0.0.0/8', '::1/128']));
  t.notOk(inTrustedNetworks('192.168.1.1', []));
});
