/** Mailbox names on the wire (RFC 3501 5.1): modified UTF-7, `/` as separator, INBOX case-insensitive. */
import { ImapError } from '../common/errors.js';
import { astr, fromUtf7, toUtf7 } from './encode.js';

/**
 * Decode and validate a mailbox name the client sent; `INBOX` in any case becomes `INBOX`. Only
 * the one canonical modified UTF-7 spelling is accepted (RFC 3501 5.1.3): raw 8-bit text (no
 * UTF8=ACCEPT here), base64 for printable ASCII (`a&AGE-b`) or split shifts would otherwise make
 * names that LIST spells differently from what the client sent, as Dovecot refuses them too.
 */
export function decodeMailbox(raw: string): string {
  const name = fromUtf7(raw);
  // Printable ASCII without `&` is its own canonical spelling: only the rest needs the round trip.
  if (name === null || (!/^[\x20-\x25\x27-\x7e]*$/.test(raw) && toUtf7(name) !== raw)) throw new ImapError('BAD', 'Mailbox name is not canonical modified UTF-7');
  let n = name.endsWith('/') && name.length > 1 ? name.slice(0, -1) : name;
  if (n.length === 0) throw new ImapError('NO', 'Empty mailbox name', 'CANNOT');
  if (/^inbox$/i.test(n)) n = 'INBOX';
  else if (/^inbox\//i.test(n)) n = `INBOX${n.slice(5)}`;
  if (n.startsWith('/') || n.includes('//') || /[\x00-\x1f\x7f]/.test(n)) {
    throw new ImapError('NO', 'Invalid mailbox name', 'CANNOT');
  }
  return n;
}

/** A mailbox name as it goes on the wire. */
export function encodeMailbox(name: string): string {
  return astr(toUtf7(name));
}
