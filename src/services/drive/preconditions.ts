/**
 * HTTP conditional requests on drive entries (RFC 9110 §13.1.1-2): If-Match / If-None-Match
 * against a file's ETag; `*` matches any existing entry.
 */
import { HttpError } from '../../common/errors.js';
import type { ChildEntry } from '../../store/drive/types.js';
import { etagMatches } from '../../common/etag.js';

/** Throw 412 when If-Match / If-None-Match fail for the current entry. */
export function checkPreconditions(entry: ChildEntry | undefined, ifMatch?: string, ifNoneMatch?: string): void {
  const etag = entry?.type === 'file' ? entry.etag : undefined;
  if (ifMatch !== undefined && !(ifMatch.trim() === '*' ? entry !== undefined : etagMatches(ifMatch, etag))) {
    throw new HttpError(412, 'Precondition failed (If-Match)');
  }
  if (ifNoneMatch !== undefined && (ifNoneMatch.trim() === '*' ? entry !== undefined : etagMatches(ifNoneMatch, etag))) {
    throw new HttpError(412, 'Precondition failed (If-None-Match)');
  }
}
