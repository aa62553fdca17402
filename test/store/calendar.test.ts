import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, appendFileSync, statSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonDurable } from '../../src/store/atomic.js';
import { CalendarStore, createCalendar, eventFile, parseSyncToken, type EventMeta } from '../../src/store/calendar.js';

const meta = (uid: string): Omit<EventMeta, 'seq' | 'modified'> => ({ uid, etag: uid.padEnd(32, '0').slice(0, 32), size: 10, component: 'VEVENT', start: 0, end: 1, recurring: false });

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'rmail-cal-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return join(d, 'cal');
}

t.test('journal replay, torn line, repair from the journal, tokens', async (t) => {
  const dir = tmp(t);
  await createCalendar(dir, { name: 'c', displayname: 'C', color: '', description: '', components: ['VEVENT'] });
  const s = (await CalendarStore.load(dir))!;
  await (await s.commitPut('a', 'TEXT-A', meta('a'))).durable;
  await (await s.commitPut('b', 'TEXT-B', meta('b'))).durable;
  await (await s.commitDelete('a')).durable;
  const token = s.index.sync_token;
  t.equal(parseSyncToken(s.props.id, token), 3);
  await s.close();
  // a crash that left a torn line and lost the event file's content
  appendFileSync(join(dir, 'index.journal'), '{"s":4,"c":9,"n":"x"');
  unlinkSync(eventFile(dir, 'b'));
  writeFileSync(eventFile(dir, 'a'), 'stale');
  const r = (await CalendarStore.load(dir))!;
  t.same(Object.keys(r.index.events), ['b']);
  t.equal(r.index.seq, 3);
  t.equal(r.index.sync_token, token, 'token durable across restarts');
  t.same(r.index.tombstones, { a: 3 });
  t.equal(readFileSync(eventFile(dir, 'b'), 'utf8'), 'TEXT-B', 'event file rewritten from the journal');
  t.notOk(existsSync(eventFile(dir, 'a')), 'deleted file removed');
  await r.compact();
  t.equal(statSync(join(dir, 'index.journal')).size, 0);
  const c = (await CalendarStore.load(dir))!;
  t.same(Object.keys(c.index.events), ['b']);
  await c.close();
  await r.close();
});

t.test('a PUT into a 50,000-event calendar costs about the same as into 500', async (t) => {
  const times: number[] = [];
  for (const n of [500, 50_000]) {
    const dir = tmp(t);
    await createCalendar(dir, { name: 'c', displayname: 'C', color: '', description: '', components: ['VEVENT'] });
    const ix = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    for (let i = 0; i < n; i++) ix.events[`e${i}`] = { ...meta(`e${i}`), seq: 1, modified: '' };
    ix.seq = 1;
    await writeJsonDurable(join(dir, 'index.json'), ix);
    const s = (await CalendarStore.load(dir))!;
    for (let i = 0; i < 5; i++) await (await s.commitPut(`warm${i}`, `TEXT${i}`, meta(`warm${i}`))).durable;
    const before = statSync(join(dir, 'index.json')).mtimeMs;
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) await (await s.commitPut(`new${i}`, `TEXT${i}`, meta(`new${i}`))).durable;
    times.push((performance.now() - t0) / 40);
    t.equal(statSync(join(dir, 'index.json')).mtimeMs, before, `index.json not rewritten per PUT (${n})`);
    t.ok(statSync(join(dir, 'index.journal')).size < 40 * 400, 'journal grows by one line per PUT');
    await s.close();
  }
  t.ok(times[1]! < times[0]! * 3 + 2, `per-PUT ms: 500 → ${times[0]!.toFixed(2)}, 50000 → ${times[1]!.toFixed(2)}`);
});
