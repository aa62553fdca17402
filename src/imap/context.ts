/** What every IMAP session shares: services, TLS, limits, the connection counters and the encode cache. */
import type { SecureContext } from 'node:tls';
import type { Services } from '../services/index.js';

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

/** Which pre-encoded structure. */
export type EncodedKind = 'envelope' | 'bodystructure' | 'body';

/** Pre-encoded ENVELOPE / BODYSTRUCTURE / BODY strings of one folder's messages (immutable), by uid. */
export type FolderEncoded = Record<EncodedKind, Map<number, string>>;

const CACHE_MAX = 300_000;

/**
 * The encode cache shared by all sessions: per folder (`user\0folderId`), one uid-keyed map per
 * kind (integer keys: no key string or entry object per message). Dropped whole when it holds
 * more than CACHE_MAX strings.
 */
export class EncodeCache {
  private readonly folders = new Map<string, FolderEncoded>();
  private size = 0;

  /** The maps of one folder (created empty). */
  folder(key: string): FolderEncoded {
    let f = this.folders.get(key);
    if (!f) {
      f = { envelope: new Map(), bodystructure: new Map(), body: new Map() };
      this.folders.set(key, f);
    }
    return f;
  }

  /** Remember one string (call after a miss in `folder(key)[kind]`). */
  set(f: FolderEncoded, kind: EncodedKind, uid: number, value: string): void {
    if (++this.size > CACHE_MAX) {
      for (const [k, g] of this.folders) if (g !== f) this.folders.delete(k);
      f.envelope.clear();
      f.bodystructure.clear();
      f.body.clear();
      this.size = 1;
    }
    f[kind].set(uid, value);
  }
}

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
  /** \Recent floors keyed by `user\0folderId` (see recent.ts). */
  recent: Map<string, number>;
}

/** Bump a counter in a map; returns the new value. */
export function bump(map: Map<string, number>, key: string, by: number): number {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
  return n;
}
