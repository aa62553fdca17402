/** The SPF/DKIM/DMARC resolver: a resolver that never answers costs one timeout per name, not one per message. */
import t from 'tap';
import { createSocket } from 'node:dgram';
import { defaultResolver } from '../../src/services/delivery.js';

t.test('timeouts are cached briefly and concurrent lookups share one query', async (t) => {
  const sock = createSocket('udp4');
  let queries = 0;
  sock.on('message', () => { queries++; }); // a black hole: never answers
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  const resolve = defaultResolver({ servers: [`127.0.0.1:${sock.address().port}`], timeoutMs: 200 });
  const all = await Promise.allSettled(Array.from({ length: 8 }, () => resolve('remote.test', 'TXT')));
  t.ok(all.every((r) => r.status === 'rejected'), 'every lookup fails (temperror for the caller)');
  const first = queries;
  t.ok(first >= 1 && first <= 4, `8 concurrent lookups sent one query and its retries (${first} packets)`);
  const t0 = Date.now();
  await t.rejects(resolve('remote.test', 'TXT'), 'the next message gets the cached failure');
  t.equal(queries, first, 'no new query while the failure is cached');
  t.ok(Date.now() - t0 < 150, 'without waiting for another timeout');
  await t.rejects(resolve('REMOTE.test', 'TXT'), 'names are case-insensitive in the cache');
  t.equal(queries, first);
});
