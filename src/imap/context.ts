/** What every IMAP session shares: services, TLS, limits, the connection counters and the encode cache. */
import type { SecureContext } from 'node:tls';
import type { Services } from '../services/index.js';
import type { EncodeCache } from './encode-cache.js';
import type { RecentBook } from './recent.js';

/** Limits of the IMAP front end (issue 5, "Limits and bad input"). */
export interface ImapLimits {
  /** Longest command line (without literals). */
  maxLine: number;
  /** Largest literal outside APPEND. */
  maxLiteral: number;
  /** Connections per client IP (whitelisted addresses are exempt). */
  perIp: number;
  /** Authenticated sessions per user. */
  perUser: number;
  /** Idle timeout in ms (RFC 3501 5.4: at least 30 minutes). */
  idleMs: number;
}

/** Default limits. */
export const DEFAULT_LIMITS: ImapLimits = {
  maxLine: 64 * 1024,
  maxLiteral: 1024 * 1024,
  perIp: 200,
  perUser: 150,
  idleMs: 30 * 60_000,
};

/** Shared state of the IMAP front end. */
export interface ImapContext {
  services: Services;
  tls: SecureContext;
  limits: ImapLimits;
  /** Open connections per IP and sessions per user. */
  perIp: Map<string, number>;
  perUser: Map<string, number>;
  /** Encoded structures per folder and uid. */
  cache: EncodeCache;
  /** \Recent floors of every user's folders (see recent.ts). */
  recent: RecentBook;
}

/** Bump a counter in a map; returns the new value. */
export function bump(map: Map<string, number>, key: string, by: number): number {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
  return n;
}
