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

/** Address headers parsed lately, by raw value: a sender's From and a recipient's To repeat across messages. */
const parsedAddresses = new Map<string, readonly EnvelopeAddress[]>();
const MEMO_MAX = 2000;
const MEMO_VALUE_MAX = 1000;

/**
 * Parse an address list header into ENVELOPE addresses (groups flattened). A value seen lately
 * answers the same (frozen) list as before without parsing again: the parse is a pure function
 * of the value, and summaries only serialize what they hold.
 */
export function parseAddresses(value: string | null): EnvelopeAddress[] {
  if (!value) return [];
  if (value.length > MEMO_VALUE_MAX) return parseAddressesNow(value);
  const hit = parsedAddresses.get(value);
  if (hit) return hit as EnvelopeAddress[];
  const list = parseAddressesNow(value);
  for (const a of list) Object.freeze(a);
  if (parsedAddresses.size >= MEMO_MAX) parsedAddresses.clear();
  parsedAddresses.set(value, Object.freeze(list));
  return list;
}

/** The parse itself, every time (exported for the test that compares it with the memo). */
export function parseAddressesNow(value: string): EnvelopeAddress[] {
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
