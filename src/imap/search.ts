/**
 * Evaluate a SEARCH key tree over the selected folder (RFC 3501 6.4.4). Flags, sizes, dates and
 * uids come from the in-memory index; address and subject keys from the stored envelope; HEADER
 * reads the header block and BODY / TEXT the transfer-decoded text parts of the message file.
 * Matching is case-insensitive substring matching, as the RFC asks.
 */
import { readFileSync } from 'node:fs';
import libmime from 'libmime';
import type { AddressField, Envelope, MessageMeta, MessageSummary, MimePart } from '../common/mail.js';
import type { SearchKey } from './parse-search.js';
import type { Session } from './connection.js';
import { charsetDecoder } from '../common/charset.js';
import { decodeTransfer } from './fetch-body.js';
import { resolveSet } from './sequence.js';

/** Header fields a non-empty search string is matched against in the stored envelope. */
const SUMMARY_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'subject']);

interface Needs {
  summary: boolean;
  file: boolean;
}

function needs(k: SearchKey, n: Needs): Needs {
  switch (k.k) {
    case 'header':
      // the envelope answers a non-empty string; an empty one asks whether the header is there at all
      if (k.value !== '' && SUMMARY_FIELDS.has(k.field)) n.summary = true;
      else n.file = n.summary = true;
      break;
    case 'body': case 'text': n.file = n.summary = true; break;
    case 'date': if (k.sent) n.summary = true; break;
    case 'not': needs(k.key, n); break;
    case 'or': needs(k.a, n); needs(k.b, n); break;
    case 'and': for (const x of k.keys) needs(x, n); break;
    default: break;
  }
  return n;
}

/** One message being tested; the summary and file are loaded on first use. */
interface Item {
  m: MessageMeta;
  seq: number;
  summary: MessageSummary | null;
  raw: Buffer | null;
  /** This session holds the message \Recent. */
  recent: boolean;
}

const fold = (s: string): string => s.toLowerCase();

/** An address field as searchable text, group names included (`Friends: <a@b>, <c@d>;`). */
function addrText(e: Envelope, field: AddressField): string {
  const grouped = e.groups?.[field];
  if (!grouped) return e[field].map((a) => `${a.name ?? ''} <${a.mailbox ?? ''}@${a.host ?? ''}>`).join(', ');
  return grouped.map((a) => (a.host !== null ? `${a.name ?? ''} <${a.mailbox ?? ''}@${a.host}>` : a.mailbox !== null ? `${a.mailbox}:` : ';')).join(', ');
}

function dayOf(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The day of a Date: header as written there, "disregarding time and timezone" (RFC 3501 6.4.4
 * SENTON): `Tue, 09 Jan 2024 23:59:59 -1200` is 9 January, not the 10th it is in UTC. A header
 * in another form falls back to its UTC day; none or an unreadable one, to `fallback`'s.
 */
export function sentDay(date: string | null | undefined, fallback: number): number {
  if (date) {
    const m = /(\d{1,2})\s+([a-z]{3})[a-z]*\.?\s+(\d{2,4})\b/i.exec(date);
    const month = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
    if (m && month >= 0) {
      let year = Number(m[3]);
      // RFC 5322 4.3 obsolete two- and three-digit years
      if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
      else if (m[3]!.length === 3) year += 1900;
      return Date.UTC(year, month, Number(m[1]));
    }
    const ms = Date.parse(date);
    if (!Number.isNaN(ms)) return dayOf(ms);
  }
  return dayOf(fallback);
}

/** A header block (bytes `start` to `end` of the message) with folded lines joined. */
function unfolded(raw: Buffer, start: number, end: number): string {
  return raw.subarray(start, end).toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
}

function headerValues(raw: Buffer, bodyStart: number, field: string): string[] {
  const text = unfolded(raw, 0, bodyStart);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === field) {
      out.push(libmime.decodeWords(line.slice(i + 1).trim()));
    }
  }
  return out;
}

function bodyText(raw: Buffer, part: MimePart): string {
  if (part.children?.length) return part.children.map((c) => bodyText(raw, c)).join('\n');
  // an attached message's header is part of the outer message's body text
  if (part.message) return `${headerText(raw, part.message.body)}\n${bodyText(raw, part.message.body)}`;
  if (part.type !== 'text') return '';
  // in the part's own charset: a search string (UTF-8 on the wire) finds `caf=E9` in ISO-8859-1
  return charsetDecoder(part.params.charset).decode(decodeTransfer(raw.subarray(part.bodyStart, part.end), part.encoding));
}

/** A part's header block, unfolded, encoded-words decoded. */
function headerText(raw: Buffer, part: MimePart): string {
  return libmime.decodeWords(unfolded(raw, part.headerStart, part.bodyStart));
}

/** Test one key against one message. */
function test(k: SearchKey, it: Item, ctx: { uidSets: Map<SearchKey, Set<number>> }): boolean {
  const m = it.m;
  switch (k.k) {
    case 'all': return true;
    case 'flag': return m.flags.some((f) => f.toLowerCase() === k.flag.toLowerCase()) === k.set;
    case 'recent': return it.recent;
    case 'new': return it.recent && !m.flags.includes('\\Seen');
    case 'old': return !it.recent;
    case 'size': return k.larger ? m.size > k.n : m.size < k.n;
    case 'modseq': return m.modseq >= k.n;
    case 'uid': case 'seq': return ctx.uidSets.get(k)!.has(m.uid);
    case 'not': return !test(k.key, it, ctx);
    case 'or': return test(k.a, it, ctx) || test(k.b, it, ctx);
    case 'and': return k.keys.every((x) => test(x, it, ctx));
    case 'date': {
      const day = k.sent ? sentDay(it.summary?.envelope.date, m.internalDate) : dayOf(m.internalDate);
      return k.op === 'before' ? day < k.ms : k.op === 'on' ? day === k.ms : day >= k.ms;
    }
    case 'header': {
      const e = it.summary?.envelope;
      const want = fold(k.value);
      if (e && want !== '' && k.field === 'subject') return fold(e.subject ?? '').includes(want);
      if (e && want !== '' && (k.field === 'from' || k.field === 'to' || k.field === 'cc' || k.field === 'bcc')) {
        return fold(addrText(e, k.field)).includes(want);
      }
      if (!it.raw || !it.summary) return false;
      const vals = headerValues(it.raw, it.summary.body.bodyStart, k.field);
      return want === '' ? vals.length > 0 : vals.some((v) => fold(v).includes(want));
    }
    case 'body': case 'text': {
      if (!it.raw || !it.summary) return false;
      const want = fold(k.value);
      if (k.k === 'text' && fold(it.raw.subarray(0, it.summary.body.bodyStart).toString('utf8')).includes(want)) return true;
      return fold(bodyText(it.raw, it.summary.body)).includes(want);
    }
  }
}

function collectSets(k: SearchKey, s: Session, out: Map<SearchKey, Set<number>>): void {
  if (k.k === 'uid' || k.k === 'seq') {
    out.set(k, new Set(resolveSet(s.box, k.set, k.k === 'uid', true)));
  } else if (k.k === 'not') collectSets(k.key, s, out);
  else if (k.k === 'or') {
    collectSets(k.a, s, out);
    collectSets(k.b, s, out);
  } else if (k.k === 'and') for (const x of k.keys) collectSets(x, s, out);
}

/** The uids (ascending) of the selected folder's messages matching `key`. */
export async function runSearch(s: Session, key: SearchKey): Promise<MessageMeta[]> {
  const box = s.box;
  const need = needs(key, { summary: false, file: false });
  const uidSets = new Map<SearchKey, Set<number>>();
  collectSets(key, s, uidSets);
  const mail = s.ctx.services.mail;
  const out: MessageMeta[] = [];
  const uids = box.allUids();
  for (let i = 0; i < uids.length; i++) {
    const m = box.view.byUid(uids[i]!);
    if (!m) continue;
    const it: Item = { m, seq: i + 1, summary: null, raw: null, recent: box.isRecent(m.uid) };
    if (need.summary) it.summary = await mail.summary(s.userId, box.name, m.uid).catch(() => null);
    if (need.file) {
      try {
        it.raw = readFileSync(mail.messageFile(s.userId, box.name, m.uid));
      } catch {
        it.raw = null;
      }
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    if (test(key, it, { uidSets })) out.push(m);
  }
  return out;
}
