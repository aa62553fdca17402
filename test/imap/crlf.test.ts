/** src/imap/crlf.ts: bare LF made CRLF, in memory and across the file reader's 256 KiB chunks. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crlfBytes, crlfFile } from '../../src/imap/crlf.js';

const CHUNK = 256 * 1024;
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

t.test('crlfBytes', async (t) => {
  const rows: [string, string | null][] = [
    ['a\r\nb\r\n', null],
    ['', null],
    ['no line end', null],
    ['\n', '\r\n'],
    ['a\nb\r\nc\n', 'a\r\nb\r\nc\r\n'],
    ['\r\r\n\n', '\r\r\n\r\n'],
    ['lone \r stays\n', 'lone \r stays\r\n'],
  ];
  for (const [input, want] of rows) {
    const got = crlfBytes(Buffer.from(input, 'latin1'));
    t.equal(got === null ? null : got.toString('latin1'), want, JSON.stringify(input));
  }
});

t.test('crlfFile: chunk boundaries and files without bare LF', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-crlf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const filler = (n: number): string => 'x'.repeat(n);
  const rows: [string, string][] = [
    // a CRLF split by the chunk boundary is no bare LF
    ['CR ends a chunk, LF starts the next', `${filler(CHUNK - 1)}\r\n${filler(10)}\r\n`],
    // a bare LF first in the second chunk
    ['bare LF starts a chunk', `${filler(CHUNK)}\nafter\r\n`],
    ['bare LF after the split CRLF', `${filler(CHUNK - 1)}\r\n\nend\n`],
    ['only CRLF, several chunks', `${'y'.repeat(78)}\r\n`.repeat(8000)],
    ['bare LF everywhere, several chunks', `${'z'.repeat(78)}\n`.repeat(8000)],
  ];
  for (const [name, text] of rows) {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.eml`);
    writeFileSync(path, text, 'latin1');
    const out = await crlfFile(path);
    const want = crlf(text);
    if (want === text) {
      t.equal(out, null, `${name}: nothing to convert, no copy`);
      t.notOk(existsSync(`${path}.crlf`), `${name}: no copy written`);
    } else {
      t.equal(out, `${path}.crlf`, `${name}: a converted copy`);
      t.ok(readFileSync(out!, 'latin1') === want, `${name}: its bytes`);
      t.ok(readFileSync(path, 'latin1') === text, `${name}: the original untouched`);
    }
  }
});
