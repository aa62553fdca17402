/**
 * HTTP conditional requests on drive entries (RFC 9110 §13.1, evaluated in the order of §13.2.2):
 * If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since against an entry's ETag and
 * Last-Modified. `*` matches any existing entry. Writes evaluate them inside the actor turn that
 * makes the change, so nothing slips in between the check and the write.
 */
import { HttpError } from '../../common/errors.js';
import type { ChildEntry } from '../../store/drive/types.js';
import { etagMatches } from '../../common/etag.js';

/** The raw conditional header values of a request (absent ones undefined). */
export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** The ETag of an entry (content hash for files; mtime-based for directories). */
export const entryEtag = (e: ChildEntry): string => (e.type === 'file' ? e.etag : `"d${Math.round(e.mtime * 10000).toString(36)}"`);

/** An HTTP-date as whole epoch seconds, or undefined when the value is not a date (then ignored, §13.1.3-4). */
function httpDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Evaluate `c` against the current entry (undefined: nothing there). Throws 412 when If-Match or
 * If-Unmodified-Since is false, or when If-None-Match is false on a write; returns
 * 'not-modified' when a read (GET/HEAD) should answer 304, else 'ok'.
 */
export function evaluateConditions(entry: ChildEntry | undefined, c: Conditions, read: boolean): 'ok' | 'not-modified' {
  const etag = entry ? entryEtag(entry) : undefined;
  const modified = entry ? Math.floor(entry.mtime) : undefined;
  if (c.ifMatch !== undefined) {
    if (!(c.ifMatch.trim() === '*' ? entry !== undefined : etagMatches(c.ifMatch, etag))) throw new HttpError(412, 'Precondition failed (If-Match)');
  } else {
    const since = httpDate(c.ifUnmodifiedSince);
    if (since !== undefined && modified !== undefined && modified > since) throw new HttpError(412, 'Precondition failed (If-Unmodified-Since)');
  }
  if (c.ifNoneMatch !== undefined) {
    if (c.ifNoneMatch.trim() === '*' ? entry !== undefined : etagMatches(c.ifNoneMatch, etag)) {
      if (read) return 'not-modified';
      throw new HttpError(412, 'Precondition failed (If-None-Match)');
    }
  } else if (read) {
    // A date in the future is a client clock error, not a validator (Apache ignores it too).
    const since = httpDate(c.ifModifiedSince);
    if (since !== undefined && since <= Date.now() / 1000 && modified !== undefined && modified <= since) return 'not-modified';
  }
  return 'ok';
}

/** Throw 412 when a write's conditions fail for the current entry (PUT's If-Match / If-None-Match / If-Unmodified-Since). */
export function checkPreconditions(entry: ChildEntry | undefined, c: Conditions): void {
  evaluateConditions(entry, c, false);
}
