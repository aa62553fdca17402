/** The FETCH encode cache (bytes per folder and kind) and the envelope slice of a summary's JSON. */
import t from 'tap';
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { EncodeCache, EncodedBytes } from '../../src/imap/encode-cache.js';
import { envelopeSlice } from '../../src/imap/fetch-encoded.js';
import { envelope } from '../../src/imap/encode.js';
import { Output } from '../../src/imap/output.js';
import type { Envelope } from '../../src/common/mail.js';

const env: Envelope = {
  date: 'Mon, 01 Jan 2024 10:00:00 +0000',
  subject: 'Braces } { and "quotes" and \\ backslash and ] [',
  from: [{ name: 'Ann "A" Other', mailbox: 'ann', host: 'example.org' }],
  sender: [], replyTo: [], to: [{ name: null, mailbox: 'bob', host: 'example.com' }], cc: [], bcc: [],
  inReplyTo: null, messageId: '<x@y>',
};

t.test('envelopeSlice finds the envelope object whatever its strings hold', async (t) => {
  const json = JSON.stringify({ envelope: env, body: { type: 'text', subtype: 'plain' }, preview: '}}}' });
  const slice = envelopeSlice(json);
  t.ok(slice);
  t.same(JSON.parse(slice!), env);
  t.equal(envelopeSlice(JSON.stringify({ body: {}, envelope: env })), null, 'another key order: null (caller parses it all)');
  t.equal(envelopeSlice('{"envelope":{"subject":"torn'), null, 'torn JSON: null');
  t.equal(envelopeSlice('{"envelope":null,"body":{}}'), null, 'not an object: null');
});

async function drain(out: Output, sink: PassThrough): Promise<string> {
  const chunks: Buffer[] = [];
  sink.on('data', (d: Buffer) => chunks.push(d));
  await out.flush();
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(chunks).toString('utf8');
}

t.test('EncodedBytes keeps UTF-8 bytes by uid across growth', async (t) => {
  const b = new EncodedBytes();
  const texts = new Map<number, string>();
  let wrong = 0;
  for (let uid = 1; uid <= 3000; uid += 2) {
    const s = `(${envelope(env)} "${'é'.repeat(uid % 50)}" ${uid})`;
    texts.set(uid, s);
    if (b.add(uid, s) !== Buffer.byteLength(s)) wrong++;
  }
  t.equal(wrong, 0, 'each add answers its UTF-8 byte count');
  t.equal([...texts].filter(([uid, s]) => b.text(uid) !== s).length, 0, 'every text reads back');
  t.equal(b.add(1, 'other'), 0, 'an entry is never replaced');
  t.notOk(b.has(2));
  t.equal(b.text(2), undefined);
  t.equal(b.text(2999), texts.get(2999));
  t.equal(b.text(1), texts.get(1));
  const sink = new PassThrough();
  const out = new Output(sink as unknown as Socket);
  t.ok(b.writeTo(out, 1501));
  t.notOk(b.writeTo(out, 1502));
  t.equal(await drain(out, sink), texts.get(1501));
});

t.test('EncodeCache: per folder; past its byte budget other folders go, the busy one stops growing', async (t) => {
  const cache = new EncodeCache(1024 * 1024);
  const a = cache.folder('u\0a');
  t.equal(cache.folder('u\0a'), a, 'same folder, same maps');
  const big = 'x'.repeat(32 * 1024);
  const other = cache.folder('u\0b');
  t.ok(cache.add(other, 'envelope', 1, big));
  let n = 0;
  while (cache.add(a, 'body', ++n, big)) if (n > 100) break;
  t.ok(n > 5 && n < 100, `stopped after ${n} entries`);
  t.ok(a.body.has(1) && a.body.has(n - 1), 'the busy folder kept everything it had');
  t.not(cache.folder('u\0b'), other, 'the other folder was dropped');
});

t.test('EncodeCache drops the entries of expunged messages once they outnumber the live ones', async (t) => {
  const cache = new EncodeCache(64 * 1024 * 1024);
  const live = new Set<number>();
  const view = {
    get messages() {
      return [...live].map((uid) => ({ uid }));
    },
    byUid: (uid: number) => (live.has(uid) ? { uid } : undefined),
  } as unknown as Parameters<EncodeCache['folder']>[1];
  let f = cache.folder('u\0a', view);
  // a folder that keeps about 100 messages while 10,000 pass through it
  for (let uid = 1; uid <= 10_000; uid++) {
    live.add(uid);
    if (uid > 100) live.delete(uid - 100);
    f = cache.folder('u\0a', view);
    cache.add(f, 'envelope', uid, `(envelope of ${uid})`);
    cache.add(f, 'body', uid, `(body of ${uid})`);
  }
  t.ok(f.envelope.count <= 2 * 100 + 1024 + 1, `envelopes held: ${f.envelope.count}`);
  t.ok(f.body.count <= 2 * 100 + 1024 + 1, `bodies held: ${f.body.count}`);
  t.equal(f.envelope.text(10_000), '(envelope of 10000)', 'the newest entry is kept');
  t.equal(f.envelope.text(9_901), '(envelope of 9901)', 'the oldest live entry is kept');
  const sink = new PassThrough();
  const out = new Output(sink as unknown as Socket);
  t.ok(f.body.writeTo(out, 9_950));
  t.equal(await drain(out, sink), '(body of 9950)');
  t.equal(f.envelope.text(50), undefined, 'an expunged entry is gone');
  // bytes queued from the old buffer survive a compaction
  const g = new EncodedBytes();
  for (let uid = 1; uid <= 10; uid++) g.add(uid, `text ${uid}`);
  const out2 = new Output(sink as unknown as Socket);
  t.ok(g.writeTo(out2, 3));
  t.ok(g.keepOnly((uid) => uid > 5) > 0, 'keepOnly answers bytes freed');
  t.equal(await drain(out2, sink), 'text 3');
  t.equal(g.count, 5);
  t.equal(g.text(7), 'text 7');
});
