import t from 'tap';
import { buildDsn, headerBlock, statusOf } from '../../src/services/dsn.js';

t.test('statusOf: enhanced code from the reply, else 5.0.0 / 4.4.7', async (t) => {
  const rows: [string, boolean, string][] = [
    ['550 5.1.1 <x@y>: no such user', false, '5.1.1'],
    ['452 4.2.2 Mailbox full', false, '4.2.2'],
    ['554 rejected', false, '5.0.0'],
    ['451 4.4.1 connection refused', true, '4.4.1'],
    ['connection timed out', true, '4.4.7'],
  ];
  for (const [diag, expired, status] of rows) t.equal(statusOf({ address: 'a@b', diagnostic: diag, expired }), status, diag);
});

t.test('headerBlock stops at the blank line and normalises line ends', async (t) => {
  t.equal(headerBlock(Buffer.from('Subject: a\nFrom: b\n\nbody\n')), 'Subject: a\r\nFrom: b\r\n');
  t.equal(headerBlock(Buffer.from('Subject: a\r\n\r\nbody')), 'Subject: a\r\n');
});

t.test('buildDsn: RFC 3464 multipart/report with one block per recipient', async (t) => {
  const dsn = buildDsn({
    hostname: 'mx.example.com', to: 'alice@example.com', arrival: new Date('2030-01-01T00:00:00Z'),
    failed: [{ address: 'x@remote.test', diagnostic: '550 5.1.1 no such user\r\nInjected: header' }],
    originalHeaders: 'Subject: hello\r\n',
  }).toString();
  t.match(dsn, /^From: Mail Delivery System <MAILER-DAEMON@mx\.example\.com>\r\n/);
  t.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status; boundary="dsn-[0-9a-f]+"/);
  t.match(dsn, /Reporting-MTA: dns; mx\.example\.com\r\nArrival-Date: Tue, 01 Jan 2030 00:00:00 GMT/);
  t.match(dsn, /Final-Recipient: rfc822; x@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user Injected: header/);
  t.notMatch(dsn, /\r\nInjected: header/, 'a diagnostic cannot inject header lines');
  t.match(dsn, /Content-Type: text\/rfc822-headers\r\n\r\nSubject: hello\r\n/);
  t.match(dsn, /Auto-Submitted: auto-replied/);
});
