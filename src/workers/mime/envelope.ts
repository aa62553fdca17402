/** RFC 3501 ENVELOPE from a header block (pure). */
import addressparser from 'nodemailer/lib/addressparser';
import type { Envelope, EnvelopeAddress } from '../../common/mail.js';
import { first, decodeWords, type HeaderBlock } from './headers.js';

interface Parsed {
  address?: string;
  name?: string;
  group?: Parsed[];
}

function flatten(list: Parsed[]): Parsed[] {
  return list.flatMap((a) => (a.group ? flatten(a.group) : [a]));
}

/** Parse an address list header into ENVELOPE addresses (groups flattened). */
export function parseAddresses(value: string | null): EnvelopeAddress[] {
  if (!value) return [];
  let parsed: Parsed[];
  try {
    parsed = addressparser(value) as Parsed[];
  } catch {
    return [];
  }
  return flatten(parsed).filter((a) => a.address || a.name).map((a) => {
    const addr = a.address ?? '';
    const at = addr.lastIndexOf('@');
    return {
      name: a.name ? decodeWords(a.name) : null,
      mailbox: at > 0 ? addr.slice(0, at) : addr || null,
      host: at > 0 ? addr.slice(at + 1) : null,
    };
  });
}

/** Build the envelope of a message from its top-level header. */
export function envelopeOf(h: HeaderBlock): Envelope {
  const from = parseAddresses(first(h, 'from'));
  const sender = parseAddresses(first(h, 'sender'));
  const replyTo = parseAddresses(first(h, 'reply-to'));
  return {
    date: first(h, 'date'),
    subject: decodeWords(first(h, 'subject')),
    from,
    sender: sender.length ? sender : from,
    replyTo: replyTo.length ? replyTo : from,
    to: parseAddresses(first(h, 'to')),
    cc: parseAddresses(first(h, 'cc')),
    bcc: parseAddresses(first(h, 'bcc')),
    inReplyTo: first(h, 'in-reply-to'),
    messageId: first(h, 'message-id'),
  };
}

/** The message ids of a References (or In-Reply-To) header. */
export function messageIds(value: string | null): string[] {
  if (!value) return [];
  return value.match(/<[^<>\s]+>/g) ?? [];
}
