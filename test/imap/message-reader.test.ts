/**
 * message-reader.ts: the background warm-up of the FETCH path's file reads (warmReads) and the
 * file-size check used before a non-PEEK fetch sets \Seen (messageFileSize).
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageFileSize, WARM, warmReads } from '../../src/imap/message-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'rmail-reader-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, '1.eml');
writeFileSync(file, 'Subject: x\r\n\r\nbody\r\n');

t.test('warmReads makes its calls over several event-loop turns, once per process', async (t) => {
  Object.assign(WARM, { perTurn: 100, total: 250, started: false });
  let turnsMeanwhile = 0;
  const tick = (): void => {
    turnsMeanwhile++;
    if (turnsMeanwhile < 1000) setImmediate(tick);
  };
  setImmediate(tick);
  const first = warmReads(() => file);
  t.equal(warmReads(() => file), null, 'a second start while it runs does nothing');
  t.equal(await first, 250, 'WARM.total calls');
  t.ok(turnsMeanwhile >= 2, 'other work ran between its turns');
  t.equal(warmReads(() => file), null, 'nor after it finished');
});

t.test('warmReads ends quietly on a file it cannot open or a path it cannot name', async (t) => {
  Object.assign(WARM, { started: false });
  t.equal(await warmReads(() => join(dir, 'gone.eml')), 0);
  Object.assign(WARM, { started: false });
  t.equal(await warmReads(() => {
    throw new Error('mail not loaded');
  }), 0);
});

t.test('messageFileSize: bytes of a file, -1 when there is none', async (t) => {
  t.equal(messageFileSize(file), 20);
  t.equal(messageFileSize(join(dir, 'gone.eml')), -1);
});
