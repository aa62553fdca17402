/** Validation of user names, domains, addresses and passwords (pure). */
import { ValidationError } from './errors.js';

const USERNAME = /^[a-z0-9._-]{1,64}$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Reject a username that is not lowercase a-z0-9._- (1-64 chars) or is `.`/`..`. */
export function checkUsername(name: unknown): string {
  if (typeof name !== 'string' || !USERNAME.test(name) || name === '.' || name === '..' || name.startsWith('.')) {
    throw new ValidationError('Invalid username: use lowercase a-z, 0-9, ".", "_" or "-" (1-64 characters)');
  }
  return name;
}

/** True for a valid DNS domain name (lowercase, at least one label, `localhost` allowed). */
export function isDomain(domain: unknown): domain is string {
  if (typeof domain !== 'string' || domain.length === 0 || domain.length > 253) return false;
  return domain.split('.').every((label) => DOMAIN_LABEL.test(label));
}

/** Reject an invalid domain; returns it lowercased. */
export function checkDomain(domain: unknown): string {
  const d = typeof domain === 'string' ? domain.toLowerCase() : domain;
  if (!isDomain(d)) throw new ValidationError('Invalid domain');
  return d;
}

/** Reject a password that is not a string of 1-1024 bytes. */
export function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw new ValidationError('Password must be a string');
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < 1 || bytes > 1024) throw new ValidationError('Password must be 1-1024 bytes');
  return password;
}

/** Reject a quota that is not an integer from 1 to 1048576 (MB). */
export function checkQuotaMb(q: unknown): number {
  if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > 1048576) {
    throw new ValidationError('quota_mb must be an integer from 1 to 1048576');
  }
  return q;
}

/** An address split into its local part and lowercased domain. */
export interface Address {
  user: string;
  domain: string;
}

/** Split `user@domain` (no validation of the parts beyond shape). */
export function splitAddress(address: string): Address | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return { user: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() };
}

/** The canonical account id `user@domain`. */
export const accountId = (user: string, domain: string): string => `${user}@${domain}`;
