/**
 * HTTP entity-tag matching (RFC 9110 §13.1.1-2) for If-Match / If-None-Match, shared by Drive
 * and CalDAV. Tags compare without their quotes and weak prefix, so a tag kept quoted (Drive) or
 * bare (calendar) matches the same header.
 */

/** Strip `W/` and the quotes from one entity tag. */
function bare(tag: string): string {
  return tag.trim().replace(/^W\//, '').replace(/"/g, '');
}

/** True when an ETag list header (`*` or `"a", W/"b"`) matches `etag`; never for no entity. */
export function etagMatches(header: string, etag: string | undefined): boolean {
  if (etag === undefined) return false;
  if (header.trim() === '*') return true;
  const want = bare(etag);
  return header.split(',').some((t) => bare(t) === want);
}
