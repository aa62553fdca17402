/**
 * FETCH / UID FETCH set atts [(CHANGEDSINCE n [VANISHED])] (RFC 3501 6.4.5, 6.4.8; RFC 3516
 * BINARY; RFC 7162 3.1.4 and 3.2.6). ENVELOPE / BODYSTRUCTURE come pre-encoded from the stored
 * summary (cached per message); sections are byte ranges of the message file, streamed in
 * pieces with backpressure when large. A non-PEEK body fetch sets \Seen first and reports FLAGS
 * (with UID and MODSEQ once CONDSTORE is on, RFC 7162 3.1).
 */
import { closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { messagePath } from '../../store/mail/files.js';
import { ImapError, NotFoundError } from '../../common/errors.js';
import type { MessageMeta, MessageSummary } from '../../common/mail.js';
import type { Args } from '../parser.js';
import { parseNumber } from '../parser.js';
import type { Session } from '../connection.js';
import { parseFetchAtts, type FetchAtt, type SectionAtt } from '../parse-fetch.js';
import { internalDate } from '../encode.js';
import type { EncodedKind, FolderEncoded } from '../encode-cache.js';
import { cachedNow, encodeFromSummary } from '../fetch-encoded.js';
import { decodeTransfer, findPart, readRange, sectionPiece, type Piece } from '../fetch-body.js';
import { checkMessageSize, messageFileSize, openMessageFile, ShortMessageFile, warmReads } from '../message-reader.js';
import { lowerBoundMeta, resolveUids } from '../sequence.js';
import { uidSetText } from '../uidset.js';
import { selectFromSet, parseSequenceSet } from '../parser.js';
import { SELECTED, type CommandSpec } from './types.js';

const STREAM_CHUNK = 256 * 1024;
/**
 * Longest stretch (`ms`) one FETCH answers messages without giving the event loop back (DESIGN:
 * no stall over ~2 ms), so other sessions are served while a big range is read; the clock is
 * read every `check` messages. Mutable for tests only.
 */
export const FETCH_TURN = { ms: 2, check: 16 };
/** A FETCH in a folder of at least this many messages warms the file reads (warmReads). */
const WARM_AT = 1000;

interface Plan {
  atts: FetchAtt[];
  uid: boolean;
  modseq: boolean;
  needSummary: boolean;
  needEncoded: boolean;
  needFile: boolean;
  markSeen: boolean;
}

function plan(atts: FetchAtt[], uidMode: boolean, readOnly: boolean, changedSince: boolean): Plan {
  let needSummary = false;
  let needEncoded = false;
  let needFile = false;
  let markSeen = false;
  let modseq = changedSince;
  let uid = uidMode;
  for (const a of atts) {
    if (a.kind === 'simple') {
      if (a.name === 'UID') uid = true;
      else if (a.name === 'MODSEQ') modseq = true;
      else if (a.name === 'ENVELOPE' || a.name === 'BODYSTRUCTURE' || a.name === 'BODY') needEncoded = true;
      else if (a.name.startsWith('RFC822') && a.name !== 'RFC822.SIZE') {
        needFile = true;
        if (a.name !== 'RFC822') needSummary = true;
        if (a.name !== 'RFC822.HEADER') markSeen = true;
      }
    } else {
      needFile = true;
      if (a.part.length > 0 || a.spec !== '' || a.binary) needSummary = true;
      if (!a.peek && !a.sizeOnly) markSeen = true;
    }
  }
  return { atts, uid, modseq, needSummary, needEncoded, needFile, markSeen: markSeen && !readOnly };
}

const KIND = { ENVELOPE: 'envelope', BODYSTRUCTURE: 'bodystructure', BODY: 'body' } as const;

/** Simple atts that are answered from the index alone (no file, no summary). */
type IndexAtt = 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE';

/**
 * The common shape of a whole-message FETCH (`UID FETCH a:b (BODY.PEEK[])`, `RFC822`, with FLAGS,
 * RFC822.SIZE or INTERNALDATE around it): one literal, the whole file, no partial, nothing from
 * the summary. Such commands are answered by a small dedicated loop (wholeAllNow), which V8
 * optimizes in a fraction of the time fetchNow takes (that one also serves ENVELOPE etc.).
 */
interface Whole {
  /** How the response names the literal: `BODY[]` or `RFC822`. */
  label: string;
  /** Index atts before and after the literal, in the order asked. */
  before: IndexAtt[];
  after: IndexAtt[];
  /** FLAGS was asked for (so a \Seen just set is not reported twice). */
  flags: boolean;
}

function wholePlan(p: Plan): Whole | null {
  if (p.needSummary || p.needEncoded || !p.needFile) return null;
  let label = '';
  const before: IndexAtt[] = [];
  const after: IndexAtt[] = [];
  let flags = false;
  for (const a of p.atts) {
    if (a.kind === 'section' || a.name === 'RFC822') {
      if (label || !wholeRange(a, 0) || (a.kind === 'section' && a.partial)) return null;
      label = a.kind === 'section' ? a.label : 'RFC822';
    } else if (a.name === 'FLAGS' || a.name === 'INTERNALDATE' || a.name === 'RFC822.SIZE') {
      (label ? after : before).push(a.name);
      if (a.name === 'FLAGS') flags = true;
    } else if (a.name !== 'UID' && a.name !== 'MODSEQ') return null;
  }
  return label ? { label, before, after, flags } : null;
}

/** ` NAME value` of index atts (FLAGS, INTERNALDATE, RFC822.SIZE). */
function indexAtts(box: Session['box'], m: MessageMeta, names: IndexAtt[]): string {
  let text = '';
  for (const name of names) {
    text += name === 'FLAGS' ? ` FLAGS ${box.flagsText(m)}`
      : name === 'INTERNALDATE' ? ` INTERNALDATE ${internalDate(m.internalDate)}`
        : ` RFC822.SIZE ${m.size}`;
  }
  return text;
}

/** What one FETCH command shares across its messages. */
interface Run {
  s: Session;
  p: Plan;
  /** This folder's part of the shared encode cache. */
  enc: FolderEncoded;
  /** Stored summary JSON without waiting (null when the command needs no structures). */
  json: ((uid: number) => string | undefined) | null;
  /** Path of a message file. */
  file: (uid: number) => string;
  /**
   * CONDSTORE is on and the command may set \Seen: the messages it sets \Seen on are reported
   * with UID and MODSEQ (RFC 7162 3.1: "a FETCH/UID FETCH that implicitly set the \Seen flag").
   */
  seenModseq: boolean;
}

/** One pre-encoded structure of a message, from the shared cache or encoded once from the summary. */
async function encodedFor(r: Run, uid: number, kind: EncodedKind, summary: () => Promise<MessageSummary>): Promise<string> {
  let v = r.enc[kind].text(uid);
  if (v === undefined) {
    v = encodeFromSummary(await summary(), kind);
    r.s.ctx.cache.add(r.enc, kind, uid, v);
  }
  return v;
}

/**
 * Paths of a folder's message files: the store's messagePath, split once around a sample uid
 * so each message costs one string concatenation instead of a path.join.
 */
function fileNamer(dir: string): (uid: number) => string {
  const parts = messagePath(dir, 987654321).split('987654321');
  if (parts.length !== 2) return (uid) => messagePath(dir, uid);
  const [pre, post] = parts as [string, string];
  return (uid) => pre + uid + post;
}

/** The whole-message byte range a section or RFC822 att names with its partial (no summary needed). */
function wholeRange(a: FetchAtt, size: number): { start: number; end: number } | null {
  if (a.kind === 'simple') return a.name === 'RFC822' ? { start: 0, end: size } : null;
  if (a.part.length || a.spec !== '' || a.binary || a.sizeOnly) return null;
  if (!a.partial) return { start: 0, end: size };
  const start = Math.min(a.partial.start, size);
  return { start, end: Math.min(start + a.partial.length, size) };
}

/**
 * Write one message's FETCH response without waiting, when everything it needs is at hand: flags
 * and sizes from the index, structures from the cache or the stored summary JSON, the whole
 * message (up to STREAM_CHUNK) read straight into the output. Answers false, having written
 * nothing, when the message needs the async path (a lost summary, a MIME section, a big body).
 */
function fetchNow(r: Run, seq: number, m: MessageMeta, addFlags: boolean): boolean {
  const { s, p } = r;
  if (p.needSummary) return false;
  if (p.needEncoded) {
    for (const a of p.atts) {
      if (a.kind !== 'simple' || (a.name !== 'ENVELOPE' && a.name !== 'BODYSTRUCTURE' && a.name !== 'BODY')) continue;
      if (!cachedNow(s.ctx.cache, r.enc, KIND[a.name], m.uid, r.json)) return false;
    }
  }
  if (p.needFile) {
    for (const a of p.atts) {
      const range = a.kind === 'section' || a.name === 'RFC822' ? wholeRange(a, m.size) : { start: 0, end: 0 };
      if (!range || range.end - range.start > STREAM_CHUNK) return false;
    }
  }
  const fd = p.needFile ? openMessageFile(r.file(m.uid)) : null;
  const out = s.out;
  out.hold();
  try {
    const box = s.box;
    let head = `* ${seq} FETCH (`;
    let sep = '';
    const implicit = addFlags && r.seenModseq;
    if (p.uid || implicit) {
      head += `UID ${m.uid}`;
      sep = ' ';
    }
    for (const a of p.atts) {
      if (a.kind === 'simple') {
        switch (a.name) {
          case 'UID': case 'MODSEQ': continue;
          case 'FLAGS': head += `${sep}FLAGS ${box.flagsText(m)}`; break;
          case 'INTERNALDATE': head += `${sep}INTERNALDATE ${internalDate(m.internalDate)}`; break;
          case 'RFC822.SIZE': head += `${sep}RFC822.SIZE ${m.size}`; break;
          case 'ENVELOPE': case 'BODYSTRUCTURE': case 'BODY':
            out.write(`${head}${sep}${a.name} `);
            r.enc[KIND[a.name]].writeTo(out, m.uid);
            head = '';
            break;
          default: {
            const range = wholeRange(a, m.size)!;
            out.write(`${head}${sep}RFC822 {${range.end - range.start}}\r\n`);
            literalFrom(out, fd!, m, range.start, range.end - range.start);
            head = '';
          }
        }
      } else {
        const range = wholeRange(a, m.size)!;
        out.write(`${head}${sep}${a.label} {${range.end - range.start}}\r\n`);
        literalFrom(out, fd!, m, range.start, range.end - range.start);
        head = '';
      }
      sep = ' ';
    }
    if (p.modseq || implicit) head += `${sep}MODSEQ (${m.modseq})`;
    if (addFlags && !p.atts.some((a) => a.kind === 'simple' && a.name === 'FLAGS')) head += ` FLAGS ${box.flagsText(m)}`;
    out.write(`${head})\r\n`);
    out.release();
  } catch (err) {
    out.rewind();
    throw err;
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return true;
}

/** Queue a literal's bytes from the message file; a short read means the file is damaged. */
function literalFrom(out: Session['out'], fd: number, m: MessageMeta, start: number, length: number): void {
  const n = out.readFrom(fd, start, length);
  if (n < length) throw new ShortMessageFile(m.uid, m.size, start + n);
}

/**
 * Write one message's response for a Whole command without waiting (whole or nothing, like
 * fetchNow); false, having written nothing, for a message over STREAM_CHUNK (the async path).
 */
function wholeNow(r: Run, w: Whole, seq: number, m: MessageMeta, addFlags: boolean): boolean {
  if (m.size > STREAM_CHUNK) return false;
  const box = r.s.box;
  const out = r.s.out;
  const fd = openMessageFile(r.file(m.uid));
  out.hold();
  try {
    const implicit = addFlags && r.seenModseq;
    const uid = r.p.uid || implicit ? `UID ${m.uid} ` : '';
    const before = w.before.length ? indexAtts(box, m, w.before).slice(1) + ' ' : '';
    out.write(`* ${seq} FETCH (${uid}${before}${w.label} {${m.size}}\r\n`);
    literalFrom(out, fd, m, 0, m.size);
    let tail = w.after.length ? indexAtts(box, m, w.after) : '';
    if (r.p.modseq || implicit) tail += ` MODSEQ (${m.modseq})`;
    if (addFlags && !w.flags) tail += ` FLAGS ${box.flagsText(m)}`;
    out.write(`${tail})\r\n`);
    out.release();
  } catch (err) {
    out.rewind();
    throw err;
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Write one message's FETCH response. */
async function fetchOne(r: Run, seq: number, m: MessageMeta, addFlags: boolean): Promise<void> {
  const { s, p } = r;
  const box = s.box;
  const mail = s.ctx.services.mail;
  let sum: MessageSummary | null = null;
  const summary = async (): Promise<MessageSummary> => (sum ??= await mail.summary(s.userId, box.name, m.uid));
  let fd: number | null = null;
  const out = s.out;
  let head = `* ${seq} FETCH (`;
  let sep = '';
  const push = (text: string): void => {
    head += sep + text;
    sep = ' ';
  };
  const implicit = addFlags && r.seenModseq;
  if (p.uid || implicit) push(`UID ${m.uid}`);
  try {
    if (p.needFile) {
      fd = openMessageFile(r.file(m.uid));
      checkMessageSize(fd, m.uid, m.size);
    }
    for (const a of p.atts) {
      if (a.kind === 'simple') {
        switch (a.name) {
          case 'UID': break;
          case 'FLAGS': push(`FLAGS ${box.flagsText(m)}`); break;
          case 'INTERNALDATE': push(`INTERNALDATE ${internalDate(m.internalDate)}`); break;
          case 'RFC822.SIZE': push(`RFC822.SIZE ${m.size}`); break;
          case 'MODSEQ': break;
          case 'ENVELOPE': push(`ENVELOPE ${await encodedFor(r, m.uid, 'envelope', summary)}`); break;
          case 'BODYSTRUCTURE': push(`BODYSTRUCTURE ${await encodedFor(r, m.uid, 'bodystructure', summary)}`); break;
          case 'BODY': push(`BODY ${await encodedFor(r, m.uid, 'body', summary)}`); break;
          case 'RFC822': await literal('RFC822', { start: 0, end: m.size }, null); break;
          case 'RFC822.HEADER': await literal('RFC822.HEADER', { start: 0, end: (await summary()).body.bodyStart }, null); break;
          case 'RFC822.TEXT': await literal('RFC822.TEXT', { start: (await summary()).body.bodyStart, end: m.size }, null); break;
        }
      } else {
        await section(a);
      }
    }
    if (p.modseq || implicit) push(`MODSEQ (${m.modseq})`);
    if (addFlags && !p.atts.some((a) => a.kind === 'simple' && a.name === 'FLAGS')) push(`FLAGS ${box.flagsText(m)}`);
    out.write(`${head})\r\n`);
  } finally {
    if (fd !== null) closeSync(fd);
  }

  async function section(a: SectionAtt): Promise<void> {
    const root = p.needSummary ? (await summary()).body : null;
    let piece: Piece = root ? sectionPiece(fd!, root, a, m.size) : { start: 0, end: m.size };
    // BINARY[] is the whole message, header included, sent as stored (its header still names the
    // encoding); only a part's body (BINARY[1] of a single-part message too) is decoded
    if (a.binary && piece && root && a.part.length) {
      const part = findPart(root, a.part);
      if (part && part.type !== 'multipart' && /^(base64|quoted-printable)$/i.test(part.encoding)) {
        piece = { data: decodeTransfer(readRange(fd!, piece as { start: number; end: number }), part.encoding) };
      }
    }
    if (a.sizeOnly) {
      const size = !piece ? 0 : 'data' in piece ? piece.data.length : piece.end - piece.start;
      push(`${a.label} ${size}`);
      return;
    }
    await literal(a.label, piece, a.partial, a.binary);
  }

  async function literal(label: string, piece: Piece, partial: SectionAtt['partial'], binary = false): Promise<void> {
    if (!piece) {
      push(`${label} NIL`);
      return;
    }
    let data: Buffer | null = 'data' in piece ? piece.data : null;
    let start = 'data' in piece ? 0 : piece.start;
    let end = 'data' in piece ? piece.data.length : Math.min(piece.end, m.size);
    if (partial) {
      const len = end - start;
      const from = Math.min(partial.start, len);
      const to = Math.min(from + partial.length, len);
      if (data) data = data.subarray(from, to);
      end = start + to;
      start += from;
    }
    const size = data ? data.length : Math.max(0, end - start);
    if (!data && size <= STREAM_CHUNK) data = readRange(fd!, { start, end });
    const eight = binary && data && data.includes(0) ? '~' : '';
    push(`${label} ${eight}{${size}}\r\n`);
    sep = '';
    out.write(head);
    head = '';
    if (data) {
      out.write(data);
    } else {
      for (let off = start; off < end; off += STREAM_CHUNK) {
        out.write(readRange(fd!, { start: off, end: Math.min(end, off + STREAM_CHUNK) }));
        await out.maybeDrain();
      }
    }
    sep = ' ';
  }
}

function parseModifiers(s: Session, args: Args, uidMode: boolean): { changedSince: number | null; vanished: boolean } {
  const mods = args.optionalList();
  args.end();
  let changedSince: number | null = null;
  let vanished = false;
  if (!mods) return { changedSince, vanished };
  for (let i = 0; i < mods.length; i++) {
    const t = mods[i]!;
    const w = t.t === 'atom' ? t.v.toUpperCase() : '';
    if (w === 'CHANGEDSINCE') {
      const n = mods[++i];
      changedSince = parseNumber(n?.t === 'atom' ? n.v : '', 'modseq');
    } else if (w === 'VANISHED') {
      if (!uidMode || !s.enabled.has('QRESYNC')) throw new ImapError('BAD', 'VANISHED needs UID FETCH and QRESYNC');
      vanished = true;
    } else throw new ImapError('BAD', 'Unknown FETCH modifier');
  }
  if (vanished && changedSince === null) throw new ImapError('BAD', 'VANISHED needs CHANGEDSINCE');
  return { changedSince, vanished };
}

async function fetch(s: Session, args: Args, uidMode: boolean): Promise<void> {
  const setText = args.atom('sequence set');
  const atts = parseFetchAtts(args.next('fetch attributes'));
  const { changedSince, vanished } = parseModifiers(s, args, uidMode);
  const box = s.box;
  const uids = resolveUids(box, setText, uidMode);
  const p = plan(atts, uidMode, box.readOnly, changedSince !== null);
  if (p.modseq) s.enabled.add('CONDSTORE'); // a MODSEQ fetch enables CONDSTORE (RFC 7162 3.1)
  if (vanished) {
    const set = parseSequenceSet(setText);
    const gone = [...box.view.expungedSince(changedSince!)].sort((a, b) => a - b);
    const hit = set === '$' ? [] : selectFromSet(set, gone, box.view.info.uidNext);
    if (hit.length) s.out.line(`* VANISHED (EARLIER) ${uidSetText(hit)}`);
  }
  const mail = s.ctx.services.mail;
  const dir = p.needFile ? dirname(mail.messageFile(s.userId, box.name, 0)) : '';
  const file = fileNamer(dir);
  const seen = new Set<number>();
  /** Unseen messages whose file is missing or short: left out of the response, and not marked \Seen. */
  const damaged = new Set<number>();
  if (p.markSeen) {
    const toMark = uids.filter((u) => {
      const m = box.view.byUid(u);
      if (!m || m.flags.includes('\\Seen')) return false;
      const actual = messageFileSize(file(u));
      if (actual >= m.size) return true;
      damaged.add(u);
      s.ctx.services.log.warn('imap fetch: message file missing or shorter than recorded, left out and not marked \\Seen', {
        user: s.userId, folder: box.name, uid: u, expected: m.size, actual,
      });
      return false;
    });
    if (toMark.length) {
      await s.ctx.services.mail.setFlags(s.userId, box.name, toMark, 'add', ['\\Seen']);
      for (const u of toMark) {
        seen.add(u);
        box.pendingFlags.delete(u);
      }
    }
  }
  const view = box.view;
  const r: Run = {
    s,
    p,
    enc: s.ctx.cache.folder(`${s.userId}\0${view.info.id}`, view),
    json: p.needEncoded ? await mail.summaryReader(s.userId, box.name) : null,
    file,
    seenModseq: p.markSeen && s.condstore,
  };
  // nextMessage's guesses for the first uid, found here: its own fallback searches then run only at
  // a gap (code optimized on a range starting at uid 1 would otherwise deoptimize on the next one)
  const first = uids[0];
  const at = first === undefined ? 0 : lowerBoundMeta(view.messages, view.messages.length, first);
  const seq = first === undefined ? 0 : Math.max(0, box.seqOf(first) - 1);
  const pass: Pass = { uids, changedSince, seen, damaged, next: 0, m: null, seq, at, waitFor: null, turnEnds: performance.now() + FETCH_TURN.ms };
  const whole = wholePlan(p);
  if (box.count >= WARM_AT) void warmReads(() => mail.messageFile(s.userId, box.name, box.uidAt(1)));
  const out = s.out;
  while (pass.next < uids.length) {
    if (whole) wholeAllNow(r, whole, pass);
    else fetchAllNow(r, pass);
    if (pass.waitFor) {
      const { seq, m } = pass.waitFor;
      pass.waitFor = null;
      try {
        await fetchOne(r, seq, m, seen.has(m.uid));
      } catch (err) {
        if (!skippable(r, err)) throw err;
      }
    }
    if (out.needsDrain) await out.maybeDrain();
    else if (performance.now() > pass.turnEnds) await nextTurn();
    else continue;
    pass.turnEnds = performance.now() + FETCH_TURN.ms;
  }
}

/** Resolve after the event loop has served pending I/O (other sessions). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Where a FETCH is in its uids (see fetchAllNow). */
interface Pass {
  uids: number[];
  changedSince: number | null;
  /** Uids this command just set \Seen on (their FLAGS are reported). */
  seen: Set<number>;
  /** Uids left out because their file was found missing or short before \Seen was set. */
  damaged: Set<number>;
  /** Index of the next uid to answer. */
  next: number;
  /** The message nextMessage moved to, and its sequence number (before the first: one less than the first's, a guess). */
  m: MessageMeta | null;
  seq: number;
  /** Where in the folder's message array (view.messages) nextMessage looks first for the next uid. */
  at: number;
  /** A message the pass stopped at because it needs the async path (fetchOne), or null. */
  waitFor: { seq: number; m: MessageMeta } | null;
  /** When this event-loop turn's time for the FETCH is up (FETCH_TURN; performance.now()). */
  turnEnds: number;
}

/**
 * A message left out of the response, the others answered: expunged by another session since
 * this client last heard, or its file shorter than recorded (logged; nothing of it was sent).
 */
function skippable(r: Run, err: unknown): boolean {
  if (err instanceof ShortMessageFile) {
    r.s.ctx.services.log.warn('imap fetch: message file shorter than recorded, left out', {
      user: r.s.userId, folder: r.s.box.name, uid: err.uid, expected: err.expected, actual: err.actual,
    });
    return true;
  }
  return (err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof NotFoundError;
}

/**
 * Answer the pass's messages from `next` on without waiting, stopping after a message when the
 * output should drain, when the pass has used its turn (FETCH_TURN), or at one that needs the async path
 * (left in `waitFor`). A plain function,
 * not the async command: V8 optimizes a long-running loop in place (on-stack replacement) only in
 * a non-resumable function, so the first FETCH of a big range runs at optimized speed instead of
 * interpreting the whole loop (measured: the first three 1,000-message BODY[] batches of a fresh
 * process took twice the CPU of later ones).
 */
function fetchAllNow(r: Run, pass: Pass): void {
  const out = r.s.out;
  let answered = 0;
  while (nextMessage(r.s.box, pass)) {
    const { seq, m } = pass;
    try {
      if (!fetchNow(r, seq, m!, pass.seen.has(m!.uid))) {
        pass.waitFor = { seq, m: m! };
        return;
      }
    } catch (err) {
      if (!skippable(r, err)) throw err;
    }
    if (out.needsDrain) return;
    if (++answered % FETCH_TURN.check === 0 && performance.now() > pass.turnEnds) return;
  }
}

/**
 * fetchAllNow for a Whole command (wholeNow per message). A loop of its own, not fetchAllNow with
 * a callback: each loop's optimized code then holds only its own per-message function, which is
 * what keeps V8's compile of this one small (a shared call site would see both and inline both).
 */
function wholeAllNow(r: Run, w: Whole, pass: Pass): void {
  const out = r.s.out;
  let answered = 0;
  while (nextMessage(r.s.box, pass)) {
    const { seq, m } = pass;
    try {
      if (!wholeNow(r, w, seq, m!, pass.seen.has(m!.uid))) {
        pass.waitFor = { seq, m: m! };
        return;
      }
    } catch (err) {
      if (!skippable(r, err)) throw err;
    }
    if (out.needsDrain) return;
    if (++answered % FETCH_TURN.check === 0 && performance.now() > pass.turnEnds) return;
  }
}

/**
 * Move the pass to its next message to answer (left in `seq` and `m`), skipping uids expunged or
 * damaged meanwhile and ones unchanged since CHANGEDSINCE; false at the end.
 */
function nextMessage(box: Session['box'], pass: Pass): boolean {
  const { uids, changedSince } = pass;
  const messages = box.view.messages;
  while (pass.next < uids.length) {
    const uid = uids[pass.next++]!;
    // the folder's message and the client's sequence number of `uid`: in a range they follow the
    // previous ones, so the slot after the last one is tried before a binary search
    let at = pass.at;
    if (messages[at]?.uid !== uid) at = lowerBoundMeta(messages, messages.length, uid);
    const m = messages[at];
    if (m?.uid !== uid || pass.damaged.has(uid)) continue;
    pass.at = at + 1;
    if (changedSince !== null && m.modseq <= changedSince) continue;
    let seq = pass.seq + 1;
    if (seq > box.count || box.uidAt(seq) !== uid) seq = box.seqOf(uid);
    if (!seq) continue;
    pass.seq = seq;
    pass.m = m;
    return true;
  }
  return false;
}

/** FETCH */
export const fetchCommand: CommandSpec = {
  name: 'FETCH',
  states: SELECTED,
  noExpunge: true,
  run: (s, args) => fetch(s, args, false),
};

/** UID FETCH */
export const uidFetchCommand: CommandSpec = {
  name: 'UID FETCH',
  states: SELECTED,
  noExpunge: true,
  run: (s, args) => fetch(s, args, true),
};
