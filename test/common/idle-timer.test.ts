import t from 'tap';
import { IdleTimer } from '../../src/common/idle-timer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('runs once after a quiet spell, not while touched', async (t) => {
  let fired = 0;
  const timer = new IdleTimer(400, () => fired++);
  timer.touch();
  for (let i = 0; i < 10; i++) {
    await sleep(60);
    timer.touch();
  }
  t.equal(fired, 0, 'touched every 60 ms for 600 ms: still waiting');
  await sleep(800);
  t.equal(fired, 1, 'ran once after 400 ms without a touch');
  await sleep(500);
  t.equal(fired, 1, 'and only once');
  timer.touch();
  await sleep(800);
  t.equal(fired, 2, 'a touch after it ran arms it again');
});

t.test('cancel stops it; untouched it never runs', async (t) => {
  let fired = 0;
  const timer = new IdleTimer(50, () => fired++);
  await sleep(100);
  t.equal(fired, 0, 'never touched');
  timer.touch();
  timer.cancel();
  await sleep(120);
  t.equal(fired, 0, 'cancelled');
});
