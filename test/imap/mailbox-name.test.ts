/** decodeMailbox: only canonical modified UTF-7 (RFC 3501 5.1.3); INBOX in any case; bad names refused. */
import t from 'tap';
import { decodeMailbox, encodeMailbox } from '../../src/imap/mailbox-name.js';
import { ImapError } from '../../src/common/errors.js';

t.test('accepted names decode, and encode back to what the client sent', async (t) => {
  const rows: [string, string][] = [
    ['Entw&APw-rfe', 'Entwürfe'],
    ['&Jjo-', '☺'],
    ['&-x', '&x'],
    ['&AOQA5A-', 'ää'],
    ['&2D3eAA-', '😀'],
    ['inbox', 'INBOX'],
    ['Inbox/child', 'INBOX/child'],
    ['foo/', 'foo'],
  ];
  for (const [raw, name] of rows) {
    t.equal(decodeMailbox(raw), name, raw);
    if (!/^inbox/i.test(raw) && !raw.endsWith('/')) t.equal(encodeMailbox(name).replace(/^"|"$/g, ''), raw, `${raw} round trip`);
  }
});

t.test('non-canonical or malformed modified UTF-7 and raw 8-bit names are BAD', async (t) => {
  const rows = [
    'ä', // raw UTF-8 (UTF8=ACCEPT is not offered)
    'a&AGE-b', // base64 for a printable ASCII character
    '&AOQ-&AOQ-', // two shifts where one is canonical
    '&AOR-', // non-zero padding bits
    '&AOQ', // unterminated shift
    '&A-', // truncated base64
    '&Jjo=-', // padding inside a shift
  ];
  for (const raw of rows) {
    let err: unknown = null;
    try {
      decodeMailbox(raw);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ImapError && err.kind === 'BAD', `${raw}: BAD`);
  }
});
