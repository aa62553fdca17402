/**
 * Delivery Status Notifications (RFC 3464): a multipart/report with a human part, a
 * message/delivery-status part (one per-recipient block per failed recipient) and the original
 * headers as text/rfc822-headers (RFC 6522). Pure: builds bytes from plain data.
 */
import { randomBytes } from 'node:crypto';

/** One recipient that failed. */
export interface FailedRecipient {
  address: string;
  /** The remote reply or local reason, e.g. `550 5.1.1 <x@y>: no such user`. */
  diagnostic: string;
  /** True when the message expired in the queue (4.4.7) rather than being refused. */
  expired?: boolean;
}

/** What the DSN is about. */
export interface DsnInput {
  hostname: string;
  /** Envelope sender of the failed message: the DSN goes to it. */
  to: string;
  arrival: Date;
  failed: FailedRecipient[];
  /** Header block of the original message (up to the blank line). */
  originalHeaders: string;
}

/** RFC 3463 status from a diagnostic: its enhanced code, else 5.0.0 (or 4.4.7 when expired). */
export function statusOf(f: FailedRecipient): string {
  const m = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(f.diagnostic);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  return f.expired ? '4.4.7' : '5.0.0';
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').slice(0, 900);

/** The header block of a raw message (everything before the first empty line), capped at 64 KiB. */
export function headerBlock(raw: Buffer): string {
  const head = raw.subarray(0, 65536).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n/g, '\r\n') + '\r\n';
}

/** Build the DSN message (CRLF line endings). */
export function buildDsn(d: DsnInput): Buffer {
  const boundary = `dsn-${randomBytes(12).toString('hex')}`;
  const now = new Date();
  const list = d.failed.map((f) => `  <${f.address}>: ${oneLine(f.diagnostic)}`).join('\r\n');
  const perRecipient = d.failed.map((f) => [
    `Final-Recipient: rfc822; ${f.address}`,
    'Action: failed',
    `Status: ${statusOf(f)}`,
    `Diagnostic-Code: smtp; ${oneLine(f.diagnostic)}`,
    `Last-Attempt-Date: ${now.toUTCString()}`,
  ].join('\r\n')).join('\r\n\r\n');
  const lines = [
    `From: Mail Delivery System <MAILER-DAEMON@${d.hostname}>`,
    `To: <${d.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${now.toUTCString()}`,
    `Message-ID: <${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@${d.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `This is the mail system at host ${d.hostname}.`,
    '',
    'Your message could not be delivered to one or more recipients:',
    '',
    list,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${d.hostname}`,
    `Arrival-Date: ${d.arrival.toUTCString()}`,
    '',
    perRecipient,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    d.originalHeaders.replace(/\r\n$/, ''),
    '',
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
