/**
 * The encode cache shared by all sessions: ENVELOPE / BODYSTRUCTURE / BODY of each message,
 * encoded once from its stored summary and kept as UTF-8 bytes in one growing buffer per folder
 * and kind, found by uid through a Map of small integers. Nothing per message lives on the JS
 * heap (a 100,000-message folder's envelopes are one ~35 MB buffer the GC never scans), and a
 * warm FETCH copies bytes into the output slab instead of encoding strings.
 */
import type { FolderView } from '../common/mail.js';
import type { Output } from './output.js';

/** Which pre-encoded structure. */
export type EncodedKind = 'envelope' | 'bodystructure' | 'body';

/** All cached bytes, every folder and kind together; past this the whole cache is dropped. */
const MAX_BYTES = 256 * 1024 * 1024;
const FIRST_BYTES = 64 * 1024;
const FIRST_SLOTS = 1024;
/** Expunged entries a folder may carry beyond its live count before they are dropped. */
const COMPACT_SLACK = 1024;
const KINDS: readonly EncodedKind[] = ['envelope', 'bodystructure', 'body'];

/** The encoded structures of one kind for one folder's messages (immutable once added). */
export class EncodedBytes {
  private buf = Buffer.allocUnsafeSlow(FIRST_BYTES);
  private used = 0;
  private slotOf = new Map<number, number>();
  private starts = new Int32Array(FIRST_SLOTS);
  private lens = new Int32Array(FIRST_SLOTS);
  private slots = 0;

  /** Bytes held. */
  get bytes(): number {
    return this.used;
  }

  /** Entries held. */
  get count(): number {
    return this.slotOf.size;
  }

  /**
   * Keep only the uids `live` answers true for, in a new buffer (bytes already handed to a
   * socket stay valid in the old one). Answers the bytes freed.
   */
  keepOnly(live: (uid: number) => boolean): number {
    const keep: number[] = [];
    let need = 0;
    for (const [uid, slot] of this.slotOf) {
      if (!live(uid)) continue;
      keep.push(uid, slot);
      need += this.lens[slot]!;
    }
    const buf = Buffer.allocUnsafeSlow(Math.max(FIRST_BYTES, need));
    const n = Math.max(FIRST_SLOTS, keep.length / 2);
    const starts = new Int32Array(n);
    const lens = new Int32Array(n);
    const slotOf = new Map<number, number>();
    let used = 0;
    for (let i = 0; i < keep.length; i += 2) {
      const slot = keep[i + 1]!;
      const len = this.lens[slot]!;
      this.buf.copy(buf, used, this.starts[slot]!, this.starts[slot]! + len);
      starts[i / 2] = used;
      lens[i / 2] = len;
      slotOf.set(keep[i]!, i / 2);
      used += len;
    }
    const freed = this.used - used;
    this.buf = buf;
    this.starts = starts;
    this.lens = lens;
    this.slots = keep.length / 2;
    this.used = used;
    this.slotOf = slotOf;
    return freed;
  }

  /** True when `uid` is cached. */
  has(uid: number): boolean {
    return this.slotOf.has(uid);
  }

  /** Queue the cached bytes of `uid` on `out`; false when not cached. */
  writeTo(out: Output, uid: number): boolean {
    const slot = this.slotOf.get(uid);
    if (slot === undefined) return false;
    out.writeBytes(this.buf, this.starts[slot]!, this.lens[slot]!);
    return true;
  }

  /** The cached text of `uid`, or undefined. */
  text(uid: number): string | undefined {
    const slot = this.slotOf.get(uid);
    if (slot === undefined) return undefined;
    const start = this.starts[slot]!;
    return this.buf.toString('utf8', start, start + this.lens[slot]!);
  }

  /** Cache the text of `uid` (no-op when already cached); answers the bytes added. */
  add(uid: number, text: string): number {
    if (this.slotOf.has(uid)) return 0;
    const need = Buffer.byteLength(text);
    if (this.used + need > this.buf.length) {
      // grow into a new buffer: bytes already handed to a socket are never written over
      const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + need));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    if (this.slots === this.starts.length) {
      const starts = new Int32Array(this.slots * 2);
      const lens = new Int32Array(this.slots * 2);
      starts.set(this.starts);
      lens.set(this.lens);
      this.starts = starts;
      this.lens = lens;
    }
    this.buf.write(text, this.used, 'utf8');
    this.starts[this.slots] = this.used;
    this.lens[this.slots] = need;
    this.slotOf.set(uid, this.slots++);
    this.used += need;
    return need;
  }
}

/** The cached structures of one folder. */
export type FolderEncoded = Record<EncodedKind, EncodedBytes>;

function emptyFolder(): FolderEncoded {
  return { envelope: new EncodedBytes(), bodystructure: new EncodedBytes(), body: new EncodedBytes() };
}

/** Every folder's cached structures, keyed `user\0folderId`; other folders are dropped past MAX_BYTES. */
export class EncodeCache {
  private readonly folders = new Map<string, FolderEncoded>();
  private bytes = 0;

  constructor(private readonly maxBytes = MAX_BYTES) {}

  /**
   * The cache of one folder (created empty). With `view`, entries of messages expunged since
   * they were cached are dropped once they outnumber the folder's live messages, so a folder
   * with steady appends and expunges keeps a cache the size of what it holds.
   */
  folder(key: string, view?: FolderView): FolderEncoded {
    let f = this.folders.get(key);
    if (!f) {
      f = emptyFolder();
      this.folders.set(key, f);
    } else if (view) {
      const live = view.messages.length;
      for (const kind of KINDS) {
        const e = f[kind];
        if (e.count > 2 * live + COMPACT_SLACK) this.bytes -= e.keepOnly((uid) => view.byUid(uid) !== undefined);
      }
    }
    return f;
  }

  /**
   * Cache one structure of a message in `f` (from folder()); answers false when it was not
   * cached. When the cache is full every other folder is dropped; `f` itself never loses an
   * entry (a FETCH relies on what it checked), it just stops growing at the budget.
   */
  add(f: FolderEncoded, kind: EncodedKind, uid: number, text: string): boolean {
    if (this.bytes + text.length * 3 > this.maxBytes) {
      for (const [k, g] of this.folders) {
        if (g === f) continue;
        this.folders.delete(k);
        this.bytes -= g.envelope.bytes + g.bodystructure.bytes + g.body.bytes;
      }
      if (this.bytes + text.length * 3 > this.maxBytes) return false;
    }
    this.bytes += f[kind].add(uid, text);
    return true;
  }
}
