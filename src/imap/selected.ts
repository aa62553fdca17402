/**
 * The selected folder of a session: the session's own sequence-number map (ascending uids as this
 * client knows them), its \Recent messages and the changes it has not been told about yet. Change
 * events only mark things pending; `flushUpdates` turns them into untagged EXPUNGE / VANISHED,
 * EXISTS, RECENT and FETCH at the allowed moments (RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE
 * or SEARCH; RFC 7162 VANISHED with QRESYNC). EXISTS is sent only for new messages, never
 * `* 0 EXISTS` after expunges.
 *
 * Cost: selecting is O(1) whatever the folder size, but for the folder's keywords (FLAGS): one
 * pass over its messages when it changed since the last SELECT (keywordsOf, ~1 ms per 100,000).
 * The sequence map starts as a prefix of the view's own message array (FolderView: appended to in place, replaced on expunge, so a prefix we
 * hold never changes under us); the session takes a private copy of the uids only when its map
 * must differ from that prefix (an expunge it reports, or new messages after the view's array was
 * replaced). Lookups are binary searches; updates cost what they report.
 */
import type { FolderView, MessageMeta } from '../common/mail.js';
import type { Output } from './output.js';
import { flagList } from './encode.js';
import { lowerBound } from './parser.js';
import { uidSetText } from './uidset.js';
import type { RecentFloors } from './recent.js';
import { lowerBoundMeta } from './sequence.js';

/** The flags every folder defines (SELECT's FLAGS before any keyword of the folder). */
export const BASE_FLAGS: readonly string[] = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '$Forwarded', '$MDNSent', '$Junk', '$NotJunk'];
const BASE_SET = new Set(BASE_FLAGS);

/**
 * The keywords found in a folder's messages at its HIGHESTMODSEQ of the time: SELECT scans the
 * messages (about 10 ns each) only when something changed since the last scan of that view.
 */
const folderKeywords = new WeakMap<FolderView, { modseq: number; count: number; keywords: readonly string[] }>();

function keywordsOf(view: FolderView): readonly string[] {
  const msgs = view.messages;
  const hit = folderKeywords.get(view);
  if (hit && hit.modseq === view.info.highestModseq && hit.count === msgs.length) return hit.keywords;
  const found = new Set<string>();
  for (let i = 0; i < msgs.length; i++) {
    for (const f of msgs[i]!.flags) if (f.charCodeAt(0) !== 0x5c && !BASE_SET.has(f)) found.add(f);
  }
  const keywords = [...found];
  folderKeywords.set(view, { modseq: view.info.highestModseq, count: msgs.length, keywords });
  return keywords;
}

/** The state of a selected (or examined) folder. */
export class Selected {
  /** The view's array whose first `baseLen` entries are this client's map (null once `own` is used). */
  private base: readonly MessageMeta[] | null;
  private baseLen: number;
  /** This client's map as a private uid list (after it diverged from the view's array). */
  private own: number[] | null = null;
  /** Uid ranges this session holds \Recent, ascending and disjoint. */
  private recent: [number, number][] = [];
  readonly pendingExpunged = new Set<number>();
  readonly pendingFlags = new Set<number>();
  pendingAdds = false;
  /** Another session (or the API) deleted this folder: the session ends with BYE (as Dovecot does). */
  deleted = false;
  /**
   * The keywords this client was told are defined (FLAGS), in the order told; a keyword stays
   * defined once told, like Dovecot's. Filled at SELECT from the folder's messages (one pass).
   */
  private readonly keywords = new Set<string>();

  constructor(
    public name: string,
    readonly view: FolderView,
    readonly readOnly: boolean,
    private readonly floors: RecentFloors | null = null,
  ) {
    this.base = view.messages;
    this.baseLen = view.messages.length;
    this.claimRecent(1);
    this.addKeywords(keywordsOf(view));
  }

  /** Add the keywords among `flags` not yet defined; true when there was one. */
  private addKeywords(flags: readonly string[]): boolean {
    let added = false;
    for (const f of flags) {
      if (f.charCodeAt(0) === 0x5c || BASE_SET.has(f) || this.keywords.has(f)) continue;
      this.keywords.add(f);
      added = true;
    }
    return added;
  }

  /** Write FLAGS and PERMANENTFLAGS (SELECT's, and again when a keyword was added: RFC 3501 7.2.6). */
  writeFlags(out: Output): void {
    const all = this.keywords.size ? [...BASE_FLAGS, ...this.keywords] : BASE_FLAGS;
    out.line(`* FLAGS ${flagList(all)}`);
    out.line(`* OK [PERMANENTFLAGS ${this.readOnly ? '()' : flagList([...all, '\\*'])}] Flags permitted`);
  }

  /** Before a response that shows `flags` (this session's STORE): FLAGS again if one is a new keyword. */
  announceKeywords(out: Output, flags: readonly string[]): void {
    if (this.addKeywords(flags)) this.writeFlags(out);
  }

  /** Number of messages the client knows (the last EXISTS). */
  get count(): number {
    return this.own ? this.own.length : this.baseLen;
  }

  /** Uid of sequence number `seq` (1-based, must be in range). */
  uidAt(seq: number): number {
    return this.own ? this.own[seq - 1]! : this.base![seq - 1]!.uid;
  }

  /** Index (0-based) of the first known message whose uid is >= `uid`. */
  private indexAtOrAfter(uid: number): number {
    return this.own ? lowerBound(this.own, uid) : lowerBoundMeta(this.base!, this.baseLen, uid);
  }

  /** Sequence number of `uid` (1-based), or 0 when this client does not know it. */
  seqOf(uid: number): number {
    const i = this.indexAtOrAfter(uid);
    return i < this.count && this.uidAt(i + 1) === uid ? i + 1 : 0;
  }

  /** Highest uid the client knows. */
  get lastUid(): number {
    const n = this.count;
    return n ? this.uidAt(n) : 0;
  }

  /** Known uids from `a` to `b` inclusive (ascending), found by binary search. */
  uidsBetween(a: number, b: number): number[] {
    const from = this.indexAtOrAfter(a);
    const to = this.indexAtOrAfter(b + 1);
    return this.uidsOfIndexes(from, to);
  }

  /** Uids at 0-based indexes [from, to). */
  uidsOfIndexes(from: number, to: number): number[] {
    const out: number[] = new Array(Math.max(0, to - from));
    for (let i = from; i < to; i++) out[i - from] = this.uidAt(i + 1);
    return out;
  }

  /** Every known uid in sequence order (O(n): for whole-folder scans only). */
  allUids(): number[] {
    return this.uidsOfIndexes(0, this.count);
  }

  /** Make the map private (O(n), only when it must differ from the view's array prefix). */
  private materialize(): number[] {
    if (!this.own) {
      this.own = this.allUids();
      this.base = null;
    }
    return this.own;
  }

  /** True when this session holds `uid` as \Recent. */
  isRecent(uid: number): boolean {
    for (const [a, b] of this.recent) if (uid >= a && uid <= b) return true;
    return false;
  }

  /** Number of known messages this session holds as \Recent. */
  get recentCount(): number {
    let n = 0;
    for (const [a, b] of this.recent) n += this.indexAtOrAfter(b + 1) - this.indexAtOrAfter(a);
    return n;
  }

  /**
   * Take the \Recent messages among the known ones with uid >= `from` (RFC 3501 2.3.2): those no
   * read-write session was told about before. A read-write session claims them for itself.
   */
  private claimRecent(from: number): void {
    if (!this.floors) return;
    const floor = this.floors.floor(this.view);
    const last = this.lastUid;
    if (last < from) return;
    const a = Math.max(from, floor);
    if (a <= last) {
      const prev = this.recent[this.recent.length - 1];
      if (prev && prev[1] + 1 >= a) prev[1] = last;
      else this.recent.push([a, last]);
    }
    if (!this.readOnly) this.floors.claim(this.view.info.id, last + 1);
  }

  /** True when something is waiting to be told. */
  get dirty(): boolean {
    return this.pendingAdds || this.pendingExpunged.size > 0 || this.pendingFlags.size > 0;
  }

  /**
   * Write the pending updates. `expunges`: EXPUNGE/VANISHED allowed now; `qresync`: use VANISHED;
   * `modseq`: include MODSEQ in FETCH (CONDSTORE enabled).
   */
  flushUpdates(out: Output, expunges: boolean, qresync: boolean, modseq: boolean): void {
    if (expunges && this.pendingExpunged.size > 0) this.flushExpunges(out, qresync);
    if (this.newKeywords()) this.writeFlags(out);
    if (this.pendingAdds) {
      this.pendingAdds = false;
      if (this.addNew()) {
        out.line(`* ${this.count} EXISTS`);
        out.line(`* ${this.recentCount} RECENT`);
      }
    }
    if (this.pendingFlags.size > 0) {
      const uids = [...this.pendingFlags].sort((a, b) => a - b);
      this.pendingFlags.clear();
      for (const uid of uids) {
        const seq = this.seqOf(uid);
        const m = this.view.byUid(uid);
        if (!seq || !m) continue;
        out.line(`* ${seq} FETCH (UID ${uid} FLAGS ${this.flagsText(m)}${modseq ? ` MODSEQ (${m.modseq})` : ''})`);
      }
    }
  }

  /** Take the keywords of the messages about to be reported (new ones, changed ones); true when one is new. */
  private newKeywords(): boolean {
    let added = false;
    if (this.pendingAdds) {
      const msgs = this.view.messages;
      for (let i = lowerBoundMeta(msgs, msgs.length, this.lastUid + 1); i < msgs.length; i++) added = this.addKeywords(msgs[i]!.flags) || added;
    }
    for (const uid of this.pendingFlags) {
      const m = this.view.byUid(uid);
      if (m) added = this.addKeywords(m.flags) || added;
    }
    return added;
  }

  /** A message's flag list as this session shows it (with \Recent when it holds it). */
  flagsText(m: MessageMeta): string {
    if (this.recent.length === 0 || !this.isRecent(m.uid)) return flagList(m.flags);
    return flagList([...m.flags, '\\Recent']);
  }

  /** Extend the map with the view's messages past the last known uid; true when any were added. */
  private addNew(): boolean {
    const msgs = this.view.messages;
    const last = this.lastUid;
    let i = msgs.length;
    while (i > 0 && msgs[i - 1]!.uid > last) i--;
    if (i === msgs.length) return false;
    if (!this.own && this.base === msgs && i === this.baseLen) {
      this.baseLen = msgs.length; // the view's array grew in place: our prefix just gets longer
    } else {
      const own = this.materialize();
      for (let k = i; k < msgs.length; k++) own.push(msgs[k]!.uid);
    }
    this.claimRecent(last + 1);
    return true;
  }

  private flushExpunges(out: Output, qresync: boolean): void {
    const gone = this.pendingExpunged;
    const uids = this.materialize();
    const keep: number[] = [];
    const removed: number[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < uids.length; i++) {
      const uid = uids[i]!;
      if (gone.has(uid)) {
        removed.push(uid);
        seqs.push(i + 1);
      } else keep.push(uid);
    }
    gone.clear();
    if (removed.length === 0) return;
    this.own = keep;
    for (const uid of removed) this.pendingFlags.delete(uid);
    if (qresync) {
      out.line(`* VANISHED ${uidSetText(removed)}`);
      return;
    }
    for (let i = seqs.length - 1; i >= 0; i--) out.line(`* ${seqs[i]} EXPUNGE`);
  }
}
