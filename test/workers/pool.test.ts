import t from 'tap';
import { WorkerPool } from '../../src/workers/pool.js';
t.test('pool', async (t) => {
  const p = new WorkerPool(2);
  const r = await p.run('hash', { data: Buffer.from('abc') });
  t.equal(r.size, 3);
  t.equal(r.etag.length, 32);
  await p.close();
});
