/**
 * A mail folder journal's zeroed space (store/mail/journal-file.ts: lines are written over zeros
 * written ahead of them, GROW at a time): a journal cut anywhere in its zero tail, as a crash
 * during the write that extended it leaves it, replays exactly its whole lines, twice the same,
 * and the next line goes after the last one; through the mail service, no acknowledged APPEND
 * (whose line carries its bytes) is lost.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalFile } from '../../../src/store/mail/journal-file.js';
import { decodeJournal, encodeRecord } from '../../../src/store/mail/journal.js';
import { mailHarness } from '../../helpers/mail.js';
import { mailFolderDir } from '../../../src/store/layout.js';
import { verifyMailRoot } from '../../../src/main/verify.js';

const KB = 1024;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-mail-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A flag line for uid `n` padded to about `bytes` (a line carrying a small message is ~6 KB). */
const line = (n: number, bytes = 6 * KB): string => encodeRecord({ t: 'f', uid: n, modseq: n, flags: ['x'.repeat(bytes)] });

/** The uids of the whole lines in the file. */
const uidsIn = (path: string): number[] => decodeJournal(readFileSync(path)).records.map((r) => (r.t === 'f' ? r.uid : -1));
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

t.test('a journal cut anywhere in its zero tail keeps its lines and goes on, replayed twice the same', async (t) => {
  const dir = tempDir(t);
  const src = join(dir, 'src.log');
  const j = new JournalFile(src);
  await j.open(0);
  // 12 lines of 6 KB: the file was extended twice, the second time by the 11th line
  const n = 12;
  for (let i = 1; i <= n; i++) await j.append(line(i), i % 3 === 0);
  await j.close();
  const whole = readFileSync(src);
  const end = decodeJournal(whole).validBytes;
  t.ok(whole.length - end > 32 * KB, `a zero tail after the lines (${whole.length - end} bytes)`);
  // cut at the last line, just after it, mid-zeros (block-aligned or not), one short of the end
  for (const cut of [end, end + 1, end + 4096, end + 33_333, whole.length - 1, whole.length]) {
    const path = join(dir, `cut-${cut}.log`);
    writeFileSync(path, whole);
    truncateSync(path, cut);
    t.same(uidsIn(path), upTo(n), `cut at +${cut - end}: every line`);
    t.same(uidsIn(path), upTo(n), `cut at +${cut - end}: read twice the same`);
    const again = new JournalFile(path);
    await again.open(decodeJournal(readFileSync(path)).validBytes);
    for (let i = 1; i <= 12; i++) await again.append(line(n + i));
    await again.close();
    t.same(uidsIn(path), upTo(n + 12), `cut at +${cut - end}: the next lines go after the last (and past the cut)`);
  }
});

t.test('APPENDs through the mail service: a cut in the journal\'s zero tail loses no acknowledged message', async (t) => {
  const ID = 'alice@example.com';
  const h = await mailHarness(t);
  await h.addUser(ID);
  const body = (i: number): Buffer => Buffer.from(`Subject: m${i}\r\nFrom: a@example.com\r\n\r\n${`line ${i} of the body\r\n`.repeat(250)}`);
  const count = 40;
  for (let i = 1; i <= count; i++) await h.mail.append(ID, 'INBOX', { data: body(i) });
  const dir = mailFolderDir(h.root, 'example.com', 'alice', (await h.mail.folder(ID, 'INBOX')).info.id);
  const path = join(dir, 'index.log');
  const buf = readFileSync(path);
  const valid = decodeJournal(buf).validBytes;
  t.ok(valid > 200 * KB, `the journal carries the messages (${valid} bytes)`);
  t.ok(buf.length > valid, 'zeros after the lines');
  const subjects = async (): Promise<(string | null)[]> => {
    const v = await h.mail.folder(ID, 'INBOX');
    return Promise.all(v.messages.map(async (m) => (await h.mail.summary(ID, 'INBOX', m.uid)).envelope.subject));
  };
  const want = upTo(count).map((i) => `m${i}`);
  await h.actors.close();
  await h.mail.close();
  truncateSync(path, valid + Math.min(5_000, buf.length - valid - 1)); // a crash cut the zeros short
  await h.restart();
  t.same(await subjects(), want, 'every acknowledged message after the cut');
  await h.restart();
  t.same(await subjects(), want, 'replayed twice the same');
  await h.mail.append(ID, 'INBOX', { data: body(count + 1) });
  await h.restart();
  t.same(await subjects(), [...want, `m${count + 1}`], 'and the next APPEND goes on after them');
  const v = await verifyMailRoot(h.root);
  t.same(v.issues.map((i) => `${i.level} ${i.where}: ${i.what}`), [], 'verify finds nothing');
});
