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

t.test('a PUT into a 50,000-event calendar writes one journal line, like one into 500 (no index rewrite)', async (t) => {
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
    for (let i = 0; i < 40; i++) await (await s.commitPut(`new${i}`, `TEXT${i}`, meta(`new${i}`))).durable;
    t.equal(statSync(join(dir, 'index.json')).mtimeMs, before, `index.json not rewritten per PUT (${n})`);
    t.ok(statSync(join(dir, 'index.journal')).size < 40 * 400, 'journal grows by one line per PUT');
    await s.close();
  }
});

t.test('write-ahead: an event file changes only after its journal line is durable', async (t) => {
  const dir = tmp(t);
  await createCalendar(dir, { name: 'c', displayname: 'C', color: '', description: '', components: ['VEVENT'] });
  const s = (await CalendarStore.load(dir))!;
  await (await s.commitPut('a', 'V1', meta('a'))).durable;
  let violations = 0;
  for (let i = 2; i <= 30; i++) {
    const staged = await s.stage('a', `V${i}`);
    const p = await s.commitPut('a', `V${i}`, meta('a'), staged);
    let settled = false;
    void p.durable.then(() => (settled = true));
    // until the line is durable the file still holds the previous (acknowledged) text
    if (!settled && readFileSync(eventFile(dir, 'a'), 'utf8') !== `V${i - 1}`) violations++;
    t.equal(s.unfiledText('a') ?? `V${i}`, `V${i}`, 'readers get the new text meanwhile');
    await p.durable;
    if (readFileSync(eventFile(dir, 'a'), 'utf8') !== `V${i}`) violations++;
  }
  t.equal(violations, 0);
  t.equal(s.unfiledText('a'), undefined, 'nothing left unfiled');
  // a PUT cut before its journal line: staged file written, never committed
  await s.stage('a', 'CUT');
  const d = await s.commitDelete('b-none');
  await d.durable;
  await s.close();
  const r = (await CalendarStore.load(dir))!;
  t.equal(readFileSync(eventFile(dir, 'a'), 'utf8'), 'V30', 'the acknowledged text survives a cut PUT');
  t.same(Object.keys(r.index.events), ['a']);
  // deletions: the file goes once the line is durable
  const del = await r.commitDelete('a');
  t.equal(r.unfiledText('a'), null, 'a pending deletion reads as gone');
  await del.durable;
  t.notOk(existsSync(eventFile(dir, 'a')));
  await r.close();
});

t.test('compaction waits for pending file steps (no snapshot ahead of its files)', async (t) => {
  const dir = tmp(t);
  await createCalendar(dir, { name: 'c', displayname: 'C', color: '', description: '', components: ['VEVENT'] });
  const s = (await CalendarStore.load(dir))!;
  // 600 writes (one at a time, as the actor commits them) cross the 512-line compaction
  // threshold while their journal lines and file steps are still in flight
  const pending = [];
  for (let i = 0; i < 600; i++) pending.push(await s.commitPut(`e${i % 50}`, `T${i}`, meta(`e${i % 50}`)));
  await Promise.all(pending.map((p) => p.durable));
  await s.close();
  const r = (await CalendarStore.load(dir))!;
  let wrong = 0;
  for (let k = 0; k < 50; k++) if (readFileSync(eventFile(dir, `e${k}`), 'utf8') !== `T${550 + k}`) wrong++;
  t.equal(wrong, 0, 'every file holds its last text');
  t.equal(Object.keys(r.index.events).length, 50);
  await r.close();
});
