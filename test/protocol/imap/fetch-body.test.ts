/**
 * Whole-message FETCH (BODY[] / BODY.PEEK[] / RFC822) over many messages: the batched read path
 * (commands/fetch.ts fetchAllNow/fetchNow, output.ts hold/rewind) against the bytes stored.
 * Small messages (one slab), ones bigger than a slab, ones streamed in pieces; the event-loop
 * turn boundaries; files missing or shorter than recorded mid-batch; a client that stops reading.
 */
import t, { type Test } from 'tap';
import { connect, Socket } from 'node:net';
import { truncateSync, unlinkSync } from 'node:fs';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { rawConnect } from '../../helpers/imap.js';
import { FETCH_TURN } from '../../../src/imap/commands/fetch.js';
import { QUEUED_MAX } from '../../../src/imap/output.js';

const USER = 'alice@example.com';

/** A message of about `size` bytes whose body bytes depend on `i` (latin1-safe, CRLF lines). */
function message(i: number, size: number): Buffer {
  const head = `From: s${i}@example.org\r\nTo: ${USER}\r\nSubject: m${i}\r\nMessage-ID: <m${i}@example.org>\r\n\r\n`;
  const line = `${i} ${'abcdefghijklmnopqrstuvwxyz'.slice(i % 26)}${'0123456789'.repeat(6)}`.slice(0, 70) + '\r\n';
  const body = line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length)));
  return Buffer.from(head + body, 'latin1');
}

/**
 * Append messages straight through the mail service; answers them by uid (index uid - 1).
 * `together` appends run at once (group-committed: faster, but the uids follow commit order).
 */
async function fill(s: TestServer, sizes: number[], together = 1): Promise<Buffer[]> {
  const byUid: Buffer[] = [];
  for (let k = 0; k < sizes.length; k += together) {
    const batch = sizes.slice(k, k + together).map((size, j) => message(k + j + 1, size));
    const res = await Promise.all(batch.map((data) => s.services.mail.append(USER, 'INBOX', { data }, { flags: ['\\Seen'] })));
    res.forEach((r, j) => (byUid[r.uid - 1] = batch[j]!));
  }
  return byUid;
}

/** The literals of `label` per uid in a raw (latin1) FETCH response, checking the framing on the way. */
function literals(t: Test, raw: string, label: string): Map<number, string> {
  const got = new Map<number, string>();
  let pos = 0;
  const head = new RegExp(`\\* (\\d+) FETCH \\(UID (\\d+)([^{\\r\\n]*) ${label.replace(/[[\]<>.]/g, '\\$&')} \\{(\\d+)\\}\\r\\n`, 'y');
  for (;;) {
    head.lastIndex = pos;
    const m = head.exec(raw);
    if (!m) break;
    const n = Number(m[4]);
    const start = pos + m[0].length;
    got.set(Number(m[2]), raw.slice(start, start + n));
    pos = start + n;
    const close = raw.indexOf(')\r\n', pos);
    if (close !== pos && !raw.startsWith(' ', pos)) {
      t.fail(`bad framing after uid ${m[2]}: ${JSON.stringify(raw.slice(pos, pos + 40))}`);
      return got;
    }
    pos = close + 3;
  }
  t.match(raw.slice(pos), /^\w+ OK/, 'nothing but the tagged OK after the last message');
  return got;
}

/** A session selecting INBOX: the first since `fill`, so every message is \Recent to it (RFC 3501 2.3.2). */
async function login(s: TestServer) {
  const { c } = await rawConnect(s.ports.imap!);
  await c.cmd(`LOGIN ${USER} pw`);
  await c.cmd('SELECT INBOX');
  return c;
}

t.test('BODY.PEEK[] of small, slab-sized and streamed messages mixed: every byte as stored', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  // one slab is 64 KiB, STREAM_CHUNK 256 KiB: small, > slab, > chunk, and the edges between
  const sizes = [900, 3_000, 70_000, 2_000, 300_000, 65_536, 65_400, 1_200, 262_000, 262_200, 500, 130_000, 4_000];
  const msgs = await fill(s, sizes);
  const c = await login(s);
  const r = await c.cmd('UID FETCH 1:* (BODY.PEEK[])');
  const got = literals(t, r.raw, 'BODY[]');
  t.equal(got.size, msgs.length, 'every message answered');
  for (const [k, m] of msgs.entries()) t.ok(got.get(k + 1) === m.toString('latin1'), `uid ${k + 1} (${m.length} bytes) byte-exact`);

  const two = await c.cmd('UID FETCH 1:* (RFC822.SIZE BODY.PEEK[]<10.20> BODY.PEEK[])');
  const full = literals(t, two.raw.replace(/ BODY\[\]<10> \{\d+\}\r\n[^]{0,20}?(?= BODY\[\] \{)/g, ''), 'BODY[]');
  t.equal(full.size, msgs.length, 'two literals per message keep the framing');
  const partials = [...two.raw.matchAll(/UID (\d+) RFC822\.SIZE (\d+) BODY\[\]<10> \{(\d+)\}\r\n/g)];
  t.equal(partials.length, msgs.length);
  for (const m of partials) {
    const k = Number(m[1]) - 1;
    t.equal(Number(m[2]), msgs[k]!.length, `uid ${m[1]} RFC822.SIZE`);
    t.equal(Number(m[3]), 20, `uid ${m[1]} partial length`);
  }
  t.equal(full.get(5), msgs[4]!.toString('latin1'), 'the streamed one intact next to a partial');

  t.match((await c.cmd('UID STORE 1:* -FLAGS.SILENT (\\Seen)')).tagged, /OK/);
  const marking = await c.cmd('UID FETCH 1:* (BODY[])');
  const marked = literals(t, marking.raw, 'BODY[]');
  t.equal(marked.size, msgs.length, 'a non-PEEK fetch answers every message');
  t.ok([...marked].every(([uid, text]) => text === msgs[uid - 1]!.toString('latin1')), 'its bytes as stored');
  t.equal(marking.raw.match(/\r\n FLAGS \(\\Seen \\Recent\)\)\r\n/g)?.length, msgs.length, 'each reports \\Seen after its literal');
  const seen = await c.cmd('UID FETCH 1:* (FLAGS)');
  t.equal(seen.untagged.filter((l) => /FLAGS \(\\Seen \\Recent\)/.test(l)).length, msgs.length, '\\Seen stored on all');
  c.close();
});

t.test('event-loop turn boundaries: nothing lost or repeated where a pass stops', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  // 50 messages; every 7th bigger than a slab and every 11th streamed (the async path)
  const sizes = Array.from({ length: 50 }, (_, k) => ((k + 1) % 11 === 0 ? 280_000 : (k + 1) % 7 === 0 ? 80_000 : 1_000 + k * 37));
  const msgs = await fill(s, sizes);
  const c = await login(s);
  const saved = { ...FETCH_TURN };
  t.teardown(() => Object.assign(FETCH_TURN, saved));
  for (const check of [1, 2, 3, 16, 17]) {
    Object.assign(FETCH_TURN, { ms: 0, check }); // give the turn back every `check` messages
    for (const range of ['1:*', '15:17', '16', '1:33', '30:50']) {
      const r = await c.cmd(`UID FETCH ${range} (BODY.PEEK[])`);
      const got = literals(t, r.raw, 'BODY[]');
      const [a, b] = range.includes(':') ? range.split(':').map((x) => (x === '*' ? 50 : Number(x))) : [Number(range), Number(range)];
      t.same([...got.keys()], Array.from({ length: b! - a! + 1 }, (_, k) => a! + k), `check ${check}, ${range}: uids in order, once`);
      t.ok([...got].every(([uid, text]) => text === msgs[uid - 1]!.toString('latin1')), `check ${check}, ${range}: bytes as stored`);
    }
  }
  c.close();
});

t.test('a long FETCH gives other sessions their turn', { timeout: 120_000 }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  await fill(s, Array.from({ length: 1500 }, (_, k) => 2_000 + (k % 50) * 40), 50);
  const a = await login(s);
  const b = await login(s);
  // whole messages (the batched path) and header fields (each message on the async path)
  for (const atts of ['BODY.PEEK[]', 'BODY.PEEK[HEADER.FIELDS (SUBJECT)]']) {
    const order: string[] = [];
    const fetching = a.cmd(`UID FETCH 1:* (${atts})`).then((r) => {
      order.push('fetch');
      return r;
    });
    await a.waitFor(/\* 1 FETCH/, 10_000).catch(() => undefined); // the FETCH is under way
    const noop = b.cmd('NOOP').then(() => order.push('noop'));
    const [r] = await Promise.all([fetching, noop]);
    t.same(order, ['noop', 'fetch'], `${atts}: the other session was answered while the FETCH ran`);
    t.equal(r.untagged.filter((l) => / FETCH \(UID /.test(l)).length, 1499, `${atts}: all the others answered`);
  }
  a.close();
  b.close();
});

t.test('a missing or short message file mid-batch is left out; the rest and the session are fine', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  const sizes = Array.from({ length: 30 }, (_, k) => ((k + 1) === 20 ? 300_000 : (k + 1) === 25 ? 90_000 : 1_500 + k * 100));
  const msgs = await fill(s, sizes);
  const file = (uid: number) => s.services.mail.messageFile(USER, 'INBOX', uid);
  unlinkSync(file(5)); // gone
  truncateSync(file(8), 600); // shorter than recorded (small: the batched path)
  truncateSync(file(20), 100_000); // a streamed one
  truncateSync(file(25), 70_000); // bigger than a slab
  truncateSync(file(30), 0); // the last one empty
  const c = await login(s);
  const r = await c.cmd('UID FETCH 1:* (BODY.PEEK[])');
  t.match(r.tagged, /OK/);
  const got = literals(t, r.raw, 'BODY[]');
  const lost = [5, 8, 20, 25, 30];
  t.same([...got.keys()], Array.from({ length: 30 }, (_, k) => k + 1).filter((u) => !lost.includes(u)), 'the others, in order');
  t.ok([...got].every(([uid, text]) => text === msgs[uid - 1]!.toString('latin1')), 'their bytes as stored');
  const one = await c.cmd('UID FETCH 8 (UID BODY.PEEK[] FLAGS)');
  t.same(one.untagged, [], 'a short file alone: no partial response');
  t.match(one.tagged, /OK/);
  const after = await c.cmd('UID FETCH 9 (BODY.PEEK[])');
  t.equal(literals(t, after.raw, 'BODY[]').get(9), msgs[8]!.toString('latin1'), 'the session still works');
  t.match((await c.cmd('UID FETCH 8:9 (FLAGS)')).untagged.join('\n'), /UID 8 FLAGS[^]*UID 9 FLAGS/, 'flags of the damaged one still answered');
  c.close();
});

t.test('a client that stops reading: the server queues a bounded amount, then finishes when it reads again', { timeout: 120_000 }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  const sizes = Array.from({ length: 64 }, (_, k) => (k % 10 === 9 ? 400_000 : 240_000));
  const msgs = await fill(s, sizes, 16);
  const total = msgs.reduce((n, m) => n + m.length, 0);
  const sock = connect(s.ports.imap!, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const chunks: Buffer[] = [];
  let got = 0;
  let tail = ''; // the last bytes received, to wait for a line
  sock.on('data', (d: Buffer) => {
    chunks.push(d);
    got += d.length;
    tail = (tail + d.subarray(-300).toString('latin1')).slice(-300);
  });
  const wait = (done: RegExp | (() => boolean)) => new Promise<void>((resolve) => {
    const check = (): void => {
      if (!(typeof done === 'function' ? done() : done.test(tail))) return;
      sock.off('data', check);
      resolve();
    };
    sock.on('data', check);
    check();
  });
  sock.write(`a LOGIN ${USER} pw\r\nb SELECT INBOX\r\n`);
  await wait(/b OK[^\r]*\r\n$/);
  const gotBefore = got;
  sock.write('c UID FETCH 1:* (BODY.PEEK[])\r\n');
  await wait(() => got > gotBefore); // the FETCH is under way
  sock.pause();
  const gotWhenPaused = got;
  await new Promise((r) => setTimeout(r, 800));
  // the server's end of this connection (the server runs in this process)
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const peer = handles.find((h): h is Socket => h instanceof Socket && h !== sock && h.remotePort === sock.localPort);
  t.ok(peer, 'found the server side of the connection');
  const queued = peer?.writableLength ?? 0;
  t.ok(queued <= QUEUED_MAX + 512 * 1024, `${(queued / 1048576).toFixed(2)} MB queued in the server for a ${(total / 1048576).toFixed(0)} MB FETCH to a stopped reader`);
  t.ok(queued > 0, 'the FETCH waits for the client (bytes queued)');
  t.equal(got, gotWhenPaused, 'nothing read while paused');
  sock.resume();
  await wait(/c OK[^\r]*\r\n$/);
  const raw = Buffer.concat(chunks).toString('latin1');
  const start = raw.indexOf('* 1 FETCH');
  const bodies = literals(t, raw.slice(start), 'BODY[]');
  t.equal(bodies.size, msgs.length, 'every message once reading resumed');
  t.ok([...bodies].every(([uid, text]) => text === msgs[uid - 1]!.toString('latin1')), 'bytes as stored');
  sock.destroy();
});

t.test('a non-PEEK fetch does not mark \\Seen on a message it leaves out (file missing or short)', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  const sizes = Array.from({ length: 12 }, (_, k) => ((k + 1) === 10 ? 300_000 : 1_500 + k * 100));
  const msgs = await fill(s, sizes);
  const file = (uid: number) => s.services.mail.messageFile(USER, 'INBOX', uid);
  unlinkSync(file(3)); // gone
  truncateSync(file(6), 600); // shorter than recorded (the batched path)
  truncateSync(file(10), 100_000); // a streamed one
  const c = await login(s);
  t.match((await c.cmd('UID STORE 1:* -FLAGS.SILENT (\\Seen)')).tagged, /OK/);
  for (const atts of ['BODY[]', 'BODY[]<0.100>', 'RFC822', 'BODY[TEXT]']) {
    const r = await c.cmd(`UID FETCH 1:* (${atts})`);
    t.match(r.tagged, /OK/, `${atts}: OK`);
    const answered = [...r.raw.matchAll(/\* \d+ FETCH \(UID (\d+) /g)].map((m) => Number(m[1]));
    t.same(answered, [1, 2, 4, 5, 7, 8, 9, 11, 12], `${atts}: the damaged ones left out, the rest answered`);
    const flags = await c.cmd('UID FETCH 1:* (FLAGS)');
    const seen = flags.untagged.filter((l) => /FLAGS \(\\Seen \\Recent\)/.test(l)).map((l) => Number(/UID (\d+)/.exec(l)![1]));
    t.same(seen, answered, `${atts}: \\Seen stored on exactly the answered ones`);
    t.match((await c.cmd('UID STORE 1:* -FLAGS.SILENT (\\Seen)')).tagged, /OK/);
  }
  const whole = await c.cmd('UID FETCH 1:* (BODY[])');
  const got = literals(t, whole.raw.replace(/ FLAGS \(\\Seen \\Recent\)\)\r\n/g, ')\r\n'), 'BODY[]');
  t.ok([...got].every(([uid, text]) => text === msgs[uid - 1]!.toString('latin1')), 'the answered ones byte-exact');
  c.close();
});

t.test('whole-message FETCHes with index atts around the literal: the same bytes, order and framing as asked', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  const sizes = [700, 70_000, 2_500, 300_000, 1_100];
  const msgs = await fill(s, sizes);
  const c = await login(s);
  const info = new Map<number, { date: string; modseq: string }>();
  for (const l of (await c.cmd('UID FETCH 1:* (INTERNALDATE MODSEQ)')).untagged) {
    const m = /UID (\d+) INTERNALDATE ("[^"]+") MODSEQ \((\d+)\)/.exec(l)!;
    info.set(Number(m[1]), { date: m[2]!, modseq: m[3]! });
  }
  t.equal(info.size, sizes.length);
  const expect = (make: (uid: number, body: string) => string): string =>
    msgs.map((m, k) => make(k + 1, m.toString('latin1'))).join('');
  const cases: [string, (uid: number, body: string) => string][] = [
    ['UID FETCH 1:* (BODY.PEEK[])', (u, b) => `* ${u} FETCH (UID ${u} BODY[] {${b.length}}\r\n${b})\r\n`],
    ['FETCH 1:* (BODY.PEEK[] UID)', (u, b) => `* ${u} FETCH (UID ${u} BODY[] {${b.length}}\r\n${b})\r\n`],
    ['FETCH 1:* (RFC822.SIZE FLAGS BODY.PEEK[])', (u, b) => `* ${u} FETCH (RFC822.SIZE ${b.length} FLAGS (\\Seen \\Recent) BODY[] {${b.length}}\r\n${b})\r\n`],
    ['UID FETCH 1:* (BODY.PEEK[] INTERNALDATE RFC822.SIZE)',
      (u, b) => `* ${u} FETCH (UID ${u} BODY[] {${b.length}}\r\n${b} INTERNALDATE ${info.get(u)!.date} RFC822.SIZE ${b.length})\r\n`],
    ['UID FETCH 1:* (RFC822) (CHANGEDSINCE 0)', (u, b) => `* ${u} FETCH (UID ${u} RFC822 {${b.length}}\r\n${b} MODSEQ (${info.get(u)!.modseq}))\r\n`],
    ['FETCH 1:* (FLAGS MODSEQ BODY.PEEK[])', (u, b) => `* ${u} FETCH (FLAGS (\\Seen \\Recent) BODY[] {${b.length}}\r\n${b} MODSEQ (${info.get(u)!.modseq}))\r\n`],
  ];
  for (const [cmd, make] of cases) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, /OK/, cmd);
    t.ok(r.raw.startsWith(expect(make)), `${cmd}: every response as expected`);
    t.match(r.raw.slice(expect(make).length), /^\w+ OK/, `${cmd}: then the tagged OK`);
  }
  t.match((await c.cmd('UID STORE 1:* -FLAGS.SILENT (\\Seen)')).tagged, /OK/);
  const marking = await c.cmd('FETCH 1:* (FLAGS BODY[])');
  // CONDSTORE is on in this session (CHANGEDSINCE above): the FETCH that sets \Seen carries UID and
  // MODSEQ too (RFC 7162 3.1, since ba939d5); the new modseqs are checked by count only.
  const modseqs = marking.raw.match(/ MODSEQ \(\d+\)\)\r\n/g)?.length;
  t.equal(modseqs, msgs.length, 'each with its new MODSEQ');
  t.ok(marking.raw.replace(/ MODSEQ \(\d+\)\)\r\n/g, ')\r\n').startsWith(expect((u, b) => `* ${u} FETCH (UID ${u} FLAGS (\\Seen \\Recent) BODY[] {${b.length}}\r\n${b})\r\n`)),
    'non-PEEK with FLAGS asked: \\Seen reported once, before the literal');
  c.close();
});

t.test('sequence numbers and messages stay right where the session map and the folder differ', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(USER, 'pw');
  const msgs = await fill(s, Array.from({ length: 20 }, (_, k) => 900 + k * 37));
  const c = await login(s);
  const other = await login(s);
  t.match((await other.cmd('UID STORE 3,4,10,20 +FLAGS.SILENT (\\Deleted)')).tagged, /OK/);
  t.match((await other.cmd('EXPUNGE')).tagged, /OK/);
  /** [seq, uid] of each response, and each literal checked against the stored bytes. */
  const answered = (raw: string): [number, number][] => {
    const got = literals(t, raw, 'BODY[]');
    t.ok([...got].every(([uid, text]) => text === msgs[uid - 1]!.toString('latin1')), 'bytes as stored');
    return [...raw.matchAll(/\* (\d+) FETCH \(UID (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  };
  // not told of the expunge yet (no EXPUNGE during FETCH): its sequence numbers are still 1..20
  const kept = [1, 2, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  t.same(answered((await c.cmd('UID FETCH 1:* (BODY.PEEK[])')).raw), kept.map((u) => [u, u]), 'expunged ones left out, seqs unshifted');
  t.same(answered((await c.cmd('FETCH 2,4:6,9:12,20 (BODY.PEEK[] UID)')).raw), [[2, 2], [5, 5], [6, 6], [9, 9], [11, 11], [12, 12]], 'a sparse sequence set');
  t.match((await c.cmd('NOOP')).untagged.join('\n'), /EXPUNGE/);
  // told: the map shrank, every later message moved down
  t.same(answered((await c.cmd('UID FETCH 1:* (BODY.PEEK[])')).raw), kept.map((u, k) => [k + 1, u]), 'seqs after the EXPUNGEs');
  t.same(answered((await c.cmd('UID FETCH 2,4,9:12,19 (BODY.PEEK[])')).raw), [[2, 2], [7, 9], [8, 11], [9, 12], [16, 19]], 'a sparse uid set');
  t.same(answered((await c.cmd('FETCH 3:5,16 (BODY.PEEK[] UID)')).raw), [[3, 5], [4, 6], [5, 7], [16, 19]], 'a sequence set');
  c.close();
  other.close();
});
