/** RFC 3501 ENVELOPE from a header block (pure). */
import addressparser from 'nodemailer/lib/addressparser';
import type { AddressField, Envelope, EnvelopeAddress } from '../../common/mail.js';
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

function member(a: Parsed): EnvelopeAddress {
  const addr = a.address ?? '';
  const at = addr.lastIndexOf('@');
  const name = a.name ? decodeWords(a.name) : null;
  if (at > 0) return { name, mailbox: addr.slice(0, at), host: addr.slice(at + 1) };
  // no domain: host NIL would read as a group marker (RFC 3501 7.4.2), so name the gap as Dovecot does
  return addr ? { name, mailbox: addr, host: 'MISSING_DOMAIN' } : { name: null, mailbox: name ?? 'MISSING_MAILBOX', host: 'MISSING_DOMAIN' };
}

/**
 * An address list header as RFC 3501 7.4.2 lists it when it uses group syntax: each group between
 * a start marker (host NIL, mailbox the group name) and an end marker (all NIL). Null when the
 * header has no group (the plain member list says it all).
 */
export function groupedAddresses(value: string | null): EnvelopeAddress[] | null {
  if (!value || !value.includes(':')) return null;
  let parsed: Parsed[];
  try {
    parsed = addressparser(value) as Parsed[];
  } catch {
    return null;
  }
  if (!parsed.some((a) => a.group)) return null;
  const out: EnvelopeAddress[] = [];
  for (const a of parsed) {
    if (a.group) {
      out.push({ name: null, mailbox: a.name ? decodeWords(a.name) : '', host: null });
      for (const m of flatten(a.group)) if (m.address || m.name) out.push(member(m));
      out.push({ name: null, mailbox: null, host: null });
    } else if (a.address || a.name) out.push(member(a));
  }
  return out;
}

const GROUP_HEADERS: [AddressField, string][] = [
  ['from', 'from'], ['sender', 'sender'], ['replyTo', 'reply-to'], ['to', 'to'], ['cc', 'cc'], ['bcc', 'bcc'],
];

/** The group-syntax lists of a header block's address fields, or null when none uses groups. */
function groupsOf(h: HeaderBlock): Envelope['groups'] | null {
  let groups: Envelope['groups'] | null = null;
  for (const [field, header] of GROUP_HEADERS) {
    const list = groupedAddresses(first(h, header));
    if (list) (groups ??= {})[field] = list;
  }
  if (!groups) return null;
  // sender and reply-to default to from (RFC 3501 7.4.2), its groups included
  if (groups.from && !first(h, 'sender')) groups.sender = groups.from;
  if (groups.from && !first(h, 'reply-to')) groups.replyTo = groups.from;
  return groups;
}

/** Build the envelope of a message from its top-level header. */
export function envelopeOf(h: HeaderBlock): Envelope {
  const from = parseAddresses(first(h, 'from'));
  const sender = parseAddresses(first(h, 'sender'));
  const replyTo = parseAddresses(first(h, 'reply-to'));
  const groups = groupsOf(h);
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
    ...(groups ? { groups } : {}),
  };
}

/** The message ids of a References (or In-Reply-To) header. */
export function messageIds(value: string | null): string[] {
  if (!value) return [];
  return value.match(/<[^<>\s]+>/g) ?? [];
}
