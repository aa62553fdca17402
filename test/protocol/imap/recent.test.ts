/**
 * \Recent (RFC 3501 2.3.2) and the session's sequence map: the first read-write session told of
 * new messages holds them \Recent (RECENT count, FLAGS, SEARCH RECENT/NEW/OLD), later sessions do
 * not, EXAMINE sees them without taking them; STATUS RECENT counts the unclaimed ones. Also the
 * sequence map across another session's expunge followed by new mail, sequence/UID set
 * resolution, and [UNSEEN n] after flag changes.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, sampleMessage, type RawImap } from '../../helpers/imap.js';

async function session(port: number, select: string | null = 'SELECT INBOX'): Promise<RawImap> {
  const { c } = await rawConnect(port);
  await c.cmd('LOGIN alice@example.com pw');
  if (select) await c.cmd(select);
  return c;
}

async function append(c: RawImap, i: number, flags = ''): Promise<void> {
  const m = sampleMessage(i);
  const r = await c.cmd(`APPEND INBOX ${flags ? `(${flags}) ` : ''}{${m.length}}\r\n${m}`);
  if (!/OK/.test(r.tagged)) throw new Error(r.tagged);
}

const searchIds = (lines: string[]): string => (lines.find((l) => l.startsWith('* SEARCH')) ?? '').replace(/^\* SEARCH ?/, '');

t.test('\\Recent: first session claims, later sessions and EXAMINE', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const a = await session(s.ports.imap!);
  const other = await session(s.ports.imap!, null);

  await append(other, 1);
  await append(other, 2);
  const n = await a.cmd('NOOP');
  t.ok(n.untagged.includes('* 2 EXISTS'), 'EXISTS for the new messages');
  t.ok(n.untagged.includes('* 2 RECENT'), 'RECENT follows EXISTS');
  const f = await a.cmd('FETCH 1:* (FLAGS)');
  t.same(f.untagged, ['* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS (\\Recent))']);
  t.equal(searchIds((await a.cmd('SEARCH RECENT')).untagged), '1 2');
  await a.cmd('STORE 1 +FLAGS (\\Seen)');
  t.equal(searchIds((await a.cmd('SEARCH NEW')).untagged), '2', 'NEW is RECENT and UNSEEN');
  t.equal(searchIds((await a.cmd('SEARCH OLD')).untagged), '', 'nothing is OLD for the claiming session');
  t.match((await a.cmd('FETCH 1 (FLAGS)')).untagged[0], /^\* 1 FETCH \(FLAGS \(\\Seen \\Recent\)\)$/);
  t.match((await a.cmd('STORE 2 FLAGS (\\Flagged)')).untagged[0], /FLAGS \(\\Flagged \\Recent\)/, 'STORE answer shows \\Recent');

  // A second session sees no \Recent: the first one was told first.
  const b = await session(s.ports.imap!, null);
  const sel = await b.cmd('SELECT INBOX');
  t.ok(sel.untagged.includes('* 0 RECENT'), 'later SELECT: 0 RECENT');
  t.same((await b.cmd('FETCH 1:* (FLAGS)')).untagged, ['* 1 FETCH (FLAGS (\\Seen))', '* 2 FETCH (FLAGS (\\Flagged))']);
  t.equal(searchIds((await b.cmd('SEARCH OLD')).untagged), '1 2');
  t.equal(searchIds((await b.cmd('SEARCH RECENT')).untagged), '');
  t.match((await other.cmd('STATUS INBOX (MESSAGES RECENT)')).untagged[0], /^\* STATUS INBOX \(MESSAGES 2 RECENT 0\)$/);
  a.close();
  b.close();

  // New mail while no session has the folder selected: STATUS counts it, EXAMINE sees it
  // without taking it, the next SELECT takes it, the one after sees none.
  await append(other, 3);
  await append(other, 4, '\\Seen');
  t.match((await other.cmd('STATUS INBOX (RECENT UNSEEN)')).untagged[0], /RECENT 2 UNSEEN 2/);
  const ex = await session(s.ports.imap!, null);
  t.ok((await ex.cmd('EXAMINE INBOX')).untagged.includes('* 2 RECENT'), 'EXAMINE sees 2 RECENT');
  t.equal(searchIds((await ex.cmd('SEARCH NEW')).untagged), '3');
  const first = await session(s.ports.imap!, null);
  t.ok((await first.cmd('SELECT INBOX')).untagged.includes('* 2 RECENT'), 'EXAMINE did not take them');
  t.same((await first.cmd('FETCH 3:4 (FLAGS)')).untagged, ['* 3 FETCH (FLAGS (\\Recent))', '* 4 FETCH (FLAGS (\\Seen \\Recent))']);
  const second = await session(s.ports.imap!, null);
  t.ok((await second.cmd('SELECT INBOX')).untagged.includes('* 0 RECENT'), 'SELECT after SELECT: 0 RECENT');
  const ls = await other.cmd('LIST "" INBOX RETURN (STATUS (RECENT))');
  t.ok(ls.untagged.some((l) => /^\* STATUS INBOX \(RECENT 0\)$/.test(l)), 'LIST-STATUS RECENT');
  t.match((await other.cmd('STORE 1 +FLAGS (\\Recent)')).tagged, /BAD/, '\\Recent cannot be stored');
  for (const c of [ex, first, second, other]) c.close();
});

t.test('sequence map across expunges and new mail; set resolution; UNSEEN', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const other = await session(s.ports.imap!, null);
  for (let i = 1; i <= 5; i++) await append(other, i, '\\Seen');
  const a = await session(s.ports.imap!);
  const b = await session(s.ports.imap!);

  t.same((await a.cmd('FETCH 2:3,5 (UID)')).untagged, ['* 2 FETCH (UID 2)', '* 3 FETCH (UID 3)', '* 5 FETCH (UID 5)']);
  t.same((await a.cmd('FETCH 5:4 (UID)')).untagged, ['* 4 FETCH (UID 4)', '* 5 FETCH (UID 5)'], 'reversed range');
  t.same((await a.cmd('UID FETCH 100:* (UID)')).untagged, ['* 5 FETCH (UID 5)'], 'n:* covers the last uid');
  t.same((await a.cmd('UID FETCH 2:3,3:4 (UID)')).untagged.length, 3, 'overlapping ranges answered once');
  t.match((await a.cmd('FETCH 6 (UID)')).tagged, /BAD/, 'sequence number past EXISTS');

  // B expunges 2; A is told only at a command that allows it, and new mail after the expunge
  // (the folder's message list replaced) still lands at the right sequence numbers.
  await b.cmd('STORE 2 +FLAGS.SILENT (\\Deleted)');
  await b.cmd('EXPUNGE');
  const during = await a.cmd('FETCH 1:* (UID)');
  // the expunged message cannot be fetched any more; the others keep their sequence numbers
  t.same(during.untagged.filter((l) => /^\* \d FETCH \(UID \d\)$/.test(l)), ['* 1 FETCH (UID 1)', '* 3 FETCH (UID 3)', '* 4 FETCH (UID 4)', '* 5 FETCH (UID 5)']);
  t.notOk(during.untagged.some((l) => /EXPUNGE/.test(l)), 'no EXPUNGE during FETCH');
  await append(other, 6);
  const n = await a.cmd('NOOP');
  t.same(n.untagged.filter((l) => /EXPUNGE|EXISTS/.test(l)), ['* 2 EXPUNGE', '* 5 EXISTS']);
  t.same((await a.cmd('FETCH 1:* (UID)')).untagged, ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)', '* 3 FETCH (UID 4)', '* 4 FETCH (UID 5)', '* 5 FETCH (UID 6)']);
  t.equal(searchIds((await a.cmd('SEARCH 2,4:*')).untagged), '2 4 5');
  t.equal(searchIds((await a.cmd('UID SEARCH UID 3:5')).untagged), '3 4 5');

  // [UNSEEN n]: the first unseen by sequence number, also after an older message loses \Seen.
  const c = await session(s.ports.imap!, null);
  t.ok((await c.cmd('SELECT INBOX')).untagged.includes('* OK [UNSEEN 5] First unseen'));
  await a.cmd('STORE 2 -FLAGS (\\Seen)');
  t.ok((await c.cmd('SELECT INBOX')).untagged.includes('* OK [UNSEEN 2] First unseen'), 'lowered by a flag change');
  await a.cmd('STORE 1:* +FLAGS (\\Seen)');
  t.notOk((await c.cmd('SELECT INBOX')).untagged.some((l) => /UNSEEN/.test(l)), 'no UNSEEN when all are seen');
  for (const x of [a, b, c, other]) x.close();
});
