/** fast-check arbitraries shared by the property and wire fuzz tests: almost-valid protocol inputs. */
import fc from 'fast-check';

/** Pieces IMAP commands are made of, mixed with junk so the parser sees near misses. */
const IMAP_WORDS = [
  'LOGIN', 'SELECT', 'EXAMINE', 'FETCH', 'UID', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'APPEND',
  'LIST', 'LSUB', 'STATUS', 'CREATE', 'DELETE', 'RENAME', 'NOOP', 'CAPABILITY', 'IDLE', 'ENABLE', 'ID',
  'SORT', 'THREAD', 'GETQUOTAROOT', 'NAMESPACE', 'CLOSE', 'UNSELECT', 'CHECK', 'AUTHENTICATE', 'LOGOUT',
  'INBOX', '""', '"*"', '%', '*', '1', '1:*', '*:1', '0', '4294967296', '1,2:3', '$', '(', ')', '[', ']',
  'FLAGS', '+FLAGS', '-FLAGS.SILENT', '(\\Seen)', '\\Deleted', '\\Bogus', 'BODY[]', 'BODY.PEEK[HEADER]',
  'BODY[1.2.MIME]<0.10>', 'BODY[HEADER.FIELDS (FROM TO)]', 'BINARY[1]', 'RFC822.SIZE', 'ENVELOPE',
  'BODYSTRUCTURE', 'ALL', 'FAST', 'FULL', 'UNSEEN', 'OR', 'NOT', 'SINCE', '1-Jan-2024', '32-Foo-99',
  'HEADER', 'TEXT', 'LARGER', 'CHARSET', 'UTF-8', 'KOI8-R', 'RETURN', '(MIN MAX COUNT)', 'CHANGEDSINCE',
  '(CHANGEDSINCE 5)', 'MODSEQ', 'UNCHANGEDSINCE', 'REFERENCES', 'ORDEREDSUBJECT', 'ARRIVAL', 'REVERSE',
  '{0}', '{3}', '{5+}', '~{2}', '"a\\"b"', '"\\x"', '"unterminated', 'x', 'a1', 'QRESYNC', 'CONDSTORE',
  '(MESSAGES UIDNEXT)', '"20-Jan-2024 10:00:00 +0100"', '"1-Feb-2024 25:00:00 +0000"', 'NIL', '\u00e9',
];

/** One IMAP command line: a tag, then words joined by single (sometimes double) spaces. */
export const imapLine: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.constantFrom('a1', 'A002', '*', '+', 'x.y', ''), fc.string({ maxLength: 6 })),
    fc.array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...IMAP_WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), { maxLength: 12 }),
    fc.constantFrom(' ', ' ', ' ', '  ', '\t', ''),
  )
  .map(([tag, words, sep]) => [tag, ...words].join(sep));

/** Random bytes of a bounded size. */
export const bytes = (max = 512): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));

/** A valid iCalendar event, then mutated: lines dropped, duplicated, swapped or corrupted. */
const ICS_LINES = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//fuzz//EN', 'BEGIN:VEVENT', 'UID:fuzz-1', 'DTSTAMP:20240101T000000Z',
  'DTSTART:20240102T100000Z', 'DTEND:20240102T110000Z', 'SUMMARY:Hello', 'RRULE:FREQ=DAILY;COUNT=3', 'END:VEVENT',
  'END:VCALENDAR',
];
const ICS_EXTRA = [
  'DTSTART;TZID=Europe/Paris:20240102T100000', 'DTSTART;VALUE=DATE:20240102', 'DTSTART:2024', 'DTSTART:',
  'RRULE:FREQ=SECONDLY', 'RRULE:FREQ=YEARLY;BYMONTH=13', 'RRULE:FOO', 'RRULE:FREQ=DAILY;UNTIL=x', 'DURATION:PT1H',
  'DURATION:garbage', 'RECURRENCE-ID:20240103T100000Z', 'METHOD:REQUEST', 'BEGIN:VTODO', 'END:VTODO', 'UID:',
  'UID:other', 'BEGIN:VALARM', 'TRIGGER:-PT15M', 'ACTION:DISPLAY', 'END:VALARM', 'BEGIN:VTIMEZONE', 'TZID:X/Y',
  'END:VTIMEZONE', 'EXDATE:20240103T100000Z', 'RDATE:bad', 'ATTENDEE:mailto:bob@example.com', ' folded',
  'X-FOO;BAR="unterminated:1', ':', 'BEGIN:', 'END:VFOO', 'DTSTART:99991231T235959Z', 'DTSTART:00000101T000000Z',
];
/** A mutated iCalendar object. */
export const icsText: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.tuple(fc.nat(20), fc.constantFrom('drop', 'dup', 'insert', 'corrupt', 'keep'), fc.constantFrom(...ICS_EXTRA), fc.string({ maxLength: 4 })), { maxLength: 5 }),
    fc.constantFrom('\r\n', '\n'),
  )
  .map(([ops, eol]) => {
    const lines = [...ICS_LINES];
    for (const [at, op, extra, junk] of ops) {
      const i = at % (lines.length + 1);
      if (op === 'drop') lines.splice(i, 1);
      else if (op === 'dup' && lines[i]) lines.splice(i, 0, lines[i]!);
      else if (op === 'insert') lines.splice(i, 0, extra);
      else if (op === 'corrupt' && lines[i]) lines[i] = lines[i]!.slice(0, lines[i]!.length >> 1) + junk;
    }
    return lines.join(eol) + eol;
  });

/** DAV XML bodies: well-formed propfind/report pieces, and broken ones. */
const XML_PIECES = [
  '<?xml version="1.0" encoding="utf-8"?>', '<D:propfind xmlns:D="DAV:">', '</D:propfind>', '<D:prop>', '</D:prop>',
  '<D:getetag/>', '<D:displayname/>', '<C:calendar-data xmlns:C="urn:ietf:params:xml:ns:caldav"/>', '<x:y/>',
  '<D:allprop/>', '<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:">', '</C:calendar-query>',
  '<C:filter>', '</C:filter>', '<C:comp-filter name="VCALENDAR">', '</C:comp-filter>', '<C:time-range start="20240101T000000Z" end="x"/>',
  '<D:sync-collection xmlns:D="DAV:">', '<D:sync-token>data:,1</D:sync-token>', '</D:sync-collection>', '<D:href>/caldav/a/</D:href>',
  '<!DOCTYPE x [<!ENTITY a "b">]>', '&amp;', '&lt;', '&#0;', '&#x110000;', '&bogus;', '<![CDATA[x]]>', '<!-- c -->', '<', '>', '"', "'",
  '<a xmlns="">', '</a>', '<p:q xmlns:p="">', 'text', '\u0000', '<D:set><D:prop><D:displayname>n</D:displayname></D:prop></D:set>',
];
/** A DAV-ish XML body. */
export const xmlBody: fc.Arbitrary<string> = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...XML_PIECES) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), { maxLength: 14 }).map((a) => a.join(''));

/** MIME messages: headers and multipart structure with random corruption. */
const MIME_HEADERS = [
  'From: a@example.com', 'To: b@example.com, "x" <c@example.com>', 'Subject: =?UTF-8?B?aGk=?=', 'Subject: =?x?Q?bad',
  'Date: Mon, 1 Jan 2024 00:00:00 +0000', 'Date: garbage', 'Content-Type: multipart/mixed; boundary=b',
  'Content-Type: multipart/alternative; boundary="b"', 'Content-Type: multipart/mixed', 'Content-Type: text/plain; charset=utf-8',
  'Content-Type: text/html', 'Content-Type: message/rfc822', 'Content-Type: text/calendar; method=REQUEST',
  'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable', 'Content-Disposition: attachment; filename="a.pdf"',
  "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC.txt", 'References: <a@b> <c@d', 'Message-ID: <x@y>', ' folded continuation',
  'X-Long: ' + 'a'.repeat(300), 'NoColonHeader', ':', '',
];
const MIME_BODY = ['--b', '--b--', 'hello', '=E2=82=AC=', 'aGVsbG8=', '!!!notbase64', '<p>hi</p>', '', '--c', 'BEGIN:VCALENDAR'];
/** A MIME message as bytes. */
export const mimeMessage: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.array(fc.constantFrom(...MIME_HEADERS), { maxLength: 8 }),
    fc.array(fc.oneof(fc.constantFrom(...MIME_HEADERS), fc.constantFrom(...MIME_BODY), fc.string({ maxLength: 10 })), { maxLength: 20 }),
    fc.constantFrom('\r\n', '\n', '\r'),
    fc.boolean(),
  )
  .map(([head, body, eol, blank]) => Buffer.from([...head, ...(blank ? [''] : []), ...body].join(eol), 'utf8'));

/** JSON-ish text: valid JSON values, truncated and corrupted ones. */
export const jsonText: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.json({ maxDepth: 3 }).chain((j) => fc.nat(j.length).map((n) => j.slice(0, n))),
  fc.string({ maxLength: 30 }),
  fc.constantFrom('{"a":1}', '[]', 'null', '"x"', '{"__proto__":{"admin":true}}', '{"a":' + '['.repeat(1000), '\ufeff{}'),
);

/** Drive path strings: components from a mix of good, reserved and hostile names. */
const PATH_PARTS = ['a', 'docs', 'b.txt', '..', '.', '', '_index.json', '_meta.json', 'x.tmp', 'X.TMP', 'a\\b', 'a\u0000', '\u0007', ' ', 'é', 'a'.repeat(256), '…'.repeat(90), '%2F', '_share'];
/** A path string such as `docs/../x`. */
export const drivePathText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('', '/', '\\'), fc.array(fc.oneof(fc.constantFrom(...PATH_PARTS), fc.string({ maxLength: 8 })), { maxLength: 70 }), fc.constantFrom('', '/'))
  .map(([lead, parts, tail]) => lead + parts.join('/') + tail);

/** A multipart/form-data body with boundary `B`, sometimes broken. */
export const multipartBody: fc.Arbitrary<Buffer> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('a.txt', 'dir/b.txt', '../x', '_index.json', '', 'a/../../b', 'x\u0000y', 'c.tmp', 'ok/ok/ok.bin'), fc.string({ maxLength: 10 })),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('file', 'field', 'nodisp', 'broken'),
    ),
    { maxLength: 4 },
  )
  .chain((parts) => fc.boolean().map((close) => {
    const out: string[] = [];
    for (const [name, data, kind] of parts) {
      out.push('--B');
      if (kind === 'file') out.push(`Content-Disposition: form-data; name="f"; filename="${name}"`, 'Content-Type: application/octet-stream');
      else if (kind === 'field') out.push('Content-Disposition: form-data; name="x"');
      else if (kind === 'broken') out.push('Content-Disposition: form-data; filename="unterminated');
      out.push('', data);
    }
    if (close) out.push('--B--');
    return Buffer.from(out.join('\r\n'), 'utf8');
  }));
