import t from 'tap';
import { checkUsername, checkDomain, checkPassword, checkQuotaMb, splitAddress, isDomain } from '../../src/common/names.js';

t.test('usernames', async (t) => {
  for (const ok of ['alice', 'a.b', 'a_b-c', '0', 'x'.repeat(64)]) t.equal(checkUsername(ok), ok);
  for (const bad of ['Alice', '', 'a b', 'a/b', '..', '.hidden', 'x'.repeat(65), 'é', 5, null]) {
    t.throws(() => checkUsername(bad), { name: 'ValidationError' }, String(bad));
  }
});

t.test('domains', async (t) => {
  t.equal(checkDomain('Example.COM'), 'example.com');
  t.ok(isDomain('localhost'));
  t.ok(isDomain('a-b.example.org'));
  for (const bad of ['', '-a.com', 'a..b', 'a_b.com', 'x'.repeat(64) + '.com', 7]) {
    t.throws(() => checkDomain(bad), { name: 'ValidationError' });
  }
});

t.test('passwords and quota', async (t) => {
  t.equal(checkPassword('p'), 'p');
  t.equal(checkPassword('x'.repeat(1024)), 'x'.repeat(1024));
  t.throws(() => checkPassword(''));
  t.throws(() => checkPassword('é'.repeat(513)), /1-1024 bytes/);
  t.throws(() => checkPassword(5));
  t.equal(checkQuotaMb(1), 1);
  t.equal(checkQuotaMb(1048576), 1048576);
  for (const bad of [0, 1048577, 1.5, '5', -1]) t.throws(() => checkQuotaMb(bad));
});

t.test('addresses', async (t) => {
  t.same(splitAddress('Alice@Example.com'), { user: 'alice', domain: 'example.com' });
  t.equal(splitAddress('nodomain'), null);
  t.equal(splitAddress('@x'), null);
  t.equal(splitAddress('x@'), null);
});
