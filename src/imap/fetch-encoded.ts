/**
 * ENVELOPE / BODYSTRUCTURE / BODY strings for FETCH, encoded once per message from the stored
 * summary and kept in the front end's shared cache. The stored summary JSON begins with its
 * envelope (`{"envelope":{...},"body":...}`), so an ENVELOPE is encoded from that slice alone:
 * a cold FETCH 1:* parses a third of the bytes and makes a third of the garbage. Anything
 * unexpected falls back to parsing the whole summary.
 */
import type { Envelope, MessageSummary } from '../common/mail.js';
import { bodyStructure, envelope } from './encode.js';
import type { EncodeCache, EncodedKind, FolderEncoded } from './encode-cache.js';

const PREFIX = '{"envelope":';
/**
 * What follows the envelope in a summary as the mime worker writes it. It cannot occur inside a
 * JSON string (a quote there is escaped) and the envelope has no `body` key, so its first
 * occurrence ends the envelope.
 */
const AFTER = '},"body":';

/** The JSON text of the envelope object at the start of a summary, or null when not found. */
export function envelopeSlice(json: string): string | null {
  if (!json.startsWith(PREFIX) || json.charCodeAt(PREFIX.length) !== 0x7b) return null;
  const end = json.indexOf(AFTER, PREFIX.length);
  if (end > 0) return json.slice(PREFIX.length, end + 1);
  let depth = 0;
  let inString = false;
  for (let i = PREFIX.length; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return json.slice(PREFIX.length, i + 1);
      if (depth < 0) return null;
    }
  }
  return null;
}

/** Encode one structure from a summary's JSON; undefined when the JSON is unusable. */
function encodeFromJson(json: string, kind: EncodedKind): string | undefined {
  try {
    if (kind === 'envelope') {
      const slice = envelopeSlice(json);
      const env = slice ? (JSON.parse(slice) as Envelope) : (JSON.parse(json) as MessageSummary).envelope;
      return envelope(env);
    }
    return bodyStructure((JSON.parse(json) as MessageSummary).body, kind === 'bodystructure');
  } catch {
    return undefined;
  }
}

/** Encode one structure from a parsed summary. */
export function encodeFromSummary(sum: MessageSummary, kind: EncodedKind): string {
  return kind === 'envelope' ? envelope(sum.envelope) : bodyStructure(sum.body, kind === 'bodystructure');
}

/**
 * Make sure one structure is cached, without waiting: encoded from the stored summary JSON
 * `json(uid)` gives when missing. False when that is not at hand (the caller takes the async
 * path, which recomputes the summary).
 */
export function cachedNow(
  cache: EncodeCache, f: FolderEncoded, kind: EncodedKind, uid: number, json: ((uid: number) => string | undefined) | null,
): boolean {
  if (f[kind].has(uid)) return true;
  const text = json?.(uid);
  if (text === undefined) return false;
  const v = encodeFromJson(text, kind);
  return v !== undefined && cache.add(f, kind, uid, v);
}
