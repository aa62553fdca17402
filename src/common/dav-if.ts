/**
 * The WebDAV `If` header (RFC 4918 §10.4): parse into tagged/untagged lists of conditions.
 * Pure; a malformed header is a ValidationError (400).
 *
 *   If = 1*No-tag-list | 1*Tagged-list;  Tagged-list = Resource-Tag 1*List
 *   List = "(" 1*Condition ")";  Condition = ["Not"] (State-token | "[" entity-tag "]")
 */
import { ValidationError } from './errors.js';

/** One condition of a list. */
export interface IfCondition {
  not: boolean;
  /** A state token (lock token URI) or an entity tag (with its quotes). */
  token?: string;
  etag?: string;
}

/** One list, optionally tagged with a resource URL. */
export interface IfList {
  resource?: string;
  conditions: IfCondition[];
}

/** Parse an If header value. */
export function parseIfHeader(value: string): IfList[] {
  const out: IfList[] = [];
  let i = 0;
  let resource: string | undefined;
  const s = value;
  const skip = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const until = (ch: string): string => {
    const end = s.indexOf(ch, i);
    if (end < 0) throw new ValidationError('Malformed If header');
    const v = s.slice(i, end);
    i = end + 1;
    return v;
  };
  skip();
  while (i < s.length) {
    if (s[i] === '<') {
      i++;
      resource = until('>');
    } else if (s[i] === '(') {
      i++;
      const conditions: IfCondition[] = [];
      skip();
      while (s[i] !== ')') {
        if (i >= s.length) throw new ValidationError('Malformed If header');
        let not = false;
        if (s.slice(i, i + 3).toLowerCase() === 'not') {
          not = true;
          i += 3;
          skip();
        }
        if (s[i] === '<') {
          i++;
          conditions.push({ not, token: until('>') });
        } else if (s[i] === '[') {
          i++;
          conditions.push({ not, etag: until(']').trim() });
        } else throw new ValidationError('Malformed If header');
        skip();
      }
      i++;
      if (conditions.length === 0) throw new ValidationError('Malformed If header: empty list');
      out.push({ resource, conditions });
    } else throw new ValidationError('Malformed If header');
    skip();
  }
  if (out.length === 0) throw new ValidationError('Malformed If header');
  return out;
}

/** Every state token named (not negated) in the header: the lock tokens the client holds. */
export const submittedTokens = (lists: IfList[]): Set<string> =>
  new Set(lists.flatMap((l) => l.conditions.filter((c) => c.token && !c.not).map((c) => c.token!)));
