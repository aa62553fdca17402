import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor } from '../../src/actors/actor.js';
import { ActorRegistry } from '../../src/actors/registry.js';
import { ChangeBus } from '../../src/actors/changes.js';

t.test('tasks run one at a time, in order; a failure fails only its caller', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-actor-'));
  const a = new Actor('x', join(dir, '.lock'));
  const order: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const tasks = Array.from({ length: 50 }, (_, i) =>
    a.mutate(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, i % 3));
      order.push(i);
      running--;
      if (i === 10) throw new Error('boom');
      return i;
    }),
  );
  const results = await Promise.allSettled(tasks);
  t.equal(maxRunning, 1);
  t.same(order, Array.from({ length: 50 }, (_, i) => i));
  t.equal(results[10]!.status, 'rejected');
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 49);
  t.ok(a.idle());
  await a.close();
});

t.test('registry evicts idle actors without pins or listeners', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-reg-'));
  const bus = new ChangeBus();
  const reg = new ActorRegistry(dir, { idleMs: 0, maxResident: 100, hasListeners: (id) => bus.listenerCount(id) > 0 });
  const a = reg.user('a@example.com');
  t.equal(reg.user('a@example.com'), a, 'same actor while resident');
  const b = reg.user('b@example.com');
  b.pins++;
  const unsub = bus.subscribe('c@example.com', () => {});
  reg.user('c@example.com');
  reg.domain('example.com');
  reg.system();
  await new Promise((r) => setTimeout(r, 5));
  reg.sweep(0);
  t.equal(reg.size, 2, 'pinned and listened-to actors stay');
  unsub();
  b.pins--;
  reg.sweep(0);
  t.equal(reg.size, 0);
  t.throws(() => reg.user('nodomain'));
  await reg.close();
});

t.test('change bus isolates a throwing listener', async (t) => {
  const bus = new ChangeBus();
  const seen: string[] = [];
  bus.subscribe('u', () => {
    throw new Error('bad');
  });
  const off = bus.subscribe('u', (c) => seen.push(c.type));
  bus.publish('u', { type: 'account-changed' });
  bus.publish('other', { type: 'account-changed' });
  off();
  bus.publish('u', { type: 'account-changed' });
  t.same(seen, ['account-changed']);
});
