/** Mail folder names: `/`-separated, INBOX case-insensitive (RFC 3501 §5.1), validated (pure). */
import { ValidationError } from './errors.js';

/** The special-use folders every account has, with their RFC 6154 attribute. */
export const DEFAULT_FOLDERS: readonly { name: string; specialUse: string | null }[] = [
  { name: 'INBOX', specialUse: null },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Archive', specialUse: '\\Archive' },
];

/** The hierarchy separator. */
export const SEPARATOR = '/';

const MAX_NAME = 512;
const MAX_DEPTH = 32;
// Control characters, IMAP LIST wildcards, and the backslash are not allowed in a name.
const BAD_CHARS = /[\x00-\x1f\x7f*%\\]/;

/** `INBOX` in any case (also as the first component) becomes `INBOX`. */
export function canonicalFolderName(name: string): string {
  const first = name.split(SEPARATOR, 1)[0]!;
  return first.toUpperCase() === 'INBOX' ? 'INBOX' + name.slice(first.length) : name;
}

/** Validate and canonicalize a folder name; ValidationError says what is wrong. */
export function checkFolderName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError('Folder name must be a non-empty string');
  if (Buffer.byteLength(name) > MAX_NAME) throw new ValidationError(`Folder name longer than ${MAX_NAME} bytes`);
  if (BAD_CHARS.test(name)) throw new ValidationError('Folder name contains a control character, "*", "%" or "\\"');
  const parts = name.split(SEPARATOR);
  if (parts.length > MAX_DEPTH) throw new ValidationError(`Folder nesting deeper than ${MAX_DEPTH}`);
  for (const p of parts) {
    if (p.length === 0) throw new ValidationError('Folder name has an empty component (leading, trailing or double "/")');
    if (p === '.' || p === '..') throw new ValidationError('Folder name component "." or ".." is not allowed');
    if (p.trim() !== p) throw new ValidationError('Folder name component has leading or trailing spaces');
  }
  return canonicalFolderName(name);
}

/** True when `name` is `parent` itself or below it. */
export const isSameOrBelow = (name: string, parent: string): boolean =>
  name === parent || name.startsWith(parent + SEPARATOR);
