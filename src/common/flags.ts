/** IMAP flags (RFC 3501 §2.3.2, RFC 9051 §2.3.2): validation and normalization (pure). */
import { ValidationError } from './errors.js';

/** The system flags a client may set, in canonical case. */
export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;

const SYSTEM_BY_LOWER = new Map<string, string>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));
// atom-char: any CHAR except atom-specials: ( ) { SP CTL % * " \ ] (and 8-bit is not CHAR)
const ATOM = /^[\x21\x23\x24\x26-\x27\x2b-\x5b\x5e-\x7a\x7c\x7e]+$/;
const MAX_KEYWORD = 128;

/** True when `flag` is a storable system flag or a keyword atom. */
export function isValidFlag(flag: unknown): flag is string {
  if (typeof flag !== 'string' || flag.length === 0) return false;
  if (flag.startsWith('\\')) return SYSTEM_BY_LOWER.has(flag.toLowerCase());
  return flag.length <= MAX_KEYWORD && ATOM.test(flag);
}

/**
 * Validate and normalize a flag list: system flags in canonical case, keywords kept as sent,
 * duplicates (case-insensitive) dropped. Throws ValidationError naming the bad flag.
 */
export function normalizeFlags(flags: unknown): string[] {
  if (!Array.isArray(flags)) throw new ValidationError('flags must be an array of strings');
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of flags) {
    if (!isValidFlag(f)) {
      throw new ValidationError(`Invalid flag ${JSON.stringify(f)}: use \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft or an IMAP atom keyword`);
    }
    const canon = f.startsWith('\\') ? SYSTEM_BY_LOWER.get(f.toLowerCase())! : f;
    const key = canon.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(canon);
  }
  return out;
}

/** Apply an IMAP STORE operation to a flag list (inputs already normalized). */
export function applyFlagOp(current: readonly string[], op: 'add' | 'remove' | 'replace', flags: readonly string[]): string[] {
  if (op === 'replace') return [...flags];
  const lower = new Set(flags.map((f) => f.toLowerCase()));
  if (op === 'remove') return current.filter((f) => !lower.has(f.toLowerCase()));
  const have = new Set(current.map((f) => f.toLowerCase()));
  return [...current, ...flags.filter((f) => !have.has(f.toLowerCase()))];
}

/** True when two flag lists hold the same flags (case-insensitive, any order). */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => s.has(f.toLowerCase()));
}
