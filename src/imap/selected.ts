/**
 * The selected folder of a session: the session's own sequence-number map (ascending uids as this
 * client knows them) and the changes it has not been told about yet. Change events only mark
 * things pending; `flushUpdates` turns them into untagged EXPUNGE / VANISHED, EXISTS and FETCH at
 * the allowed moments (RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE or SEARCH; RFC 7162 VANISHED
 * with QRESYNC). EXISTS is sent only for new messages, never `* 0 EXISTS` after expunges.
 */
import type { FolderView } from '../common/mail.js';
import type { Output } from './output.js';
import { flagList } from './encode.js';
import { lowerBound } from './parser.js';
import { uidSetText } from './uidset.js';

/** The state of a selected (or examined) folder. */
export class Selected {
  /** Uids in sequence order as this client knows them. */
  uids: number[];
  readonly pendingExpunged = new Set<number>();
  readonly pendingFlags = new Set<number>();
  pendingAdds = false;
  /** Messages expunged by this session's own MOVE/EXPUNGE already reported. */

  constructor(
    public name: string,
    readonly view: FolderView,
    readonly readOnly: boolean,
  ) {
    this.uids = view.messages.map((m) => m.uid);
  }

  /** Sequence number of `uid` (1-based), or 0 when this client does not know it. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uids, uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  /** Highest uid the client knows. */
  get lastUid(): number {
    return this.uids.length ? this.uids[this.uids.length - 1]! : 0;
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
    if (this.pendingAdds) {
      this.pendingAdds = false;
      const msgs = this.view.messages;
      let i = msgs.length;
      const last = this.lastUid;
      while (i > 0 && msgs[i - 1]!.uid > last) i--;
      if (i < msgs.length) {
        for (let k = i; k < msgs.length; k++) this.uids.push(msgs[k]!.uid);
        out.line(`* ${this.uids.length} EXISTS`);
      }
    }
    if (this.pendingFlags.size > 0) {
      const uids = [...this.pendingFlags].sort((a, b) => a - b);
      this.pendingFlags.clear();
      for (const uid of uids) {
        const seq = this.seqOf(uid);
        const m = this.view.byUid(uid);
        if (!seq || !m) continue;
        out.line(`* ${seq} FETCH (UID ${uid} FLAGS ${flagList(m.flags)}${modseq ? ` MODSEQ (${m.modseq})` : ''})`);
      }
    }
  }

  private flushExpunges(out: Output, qresync: boolean): void {
    const gone = this.pendingExpunged;
    const keep: number[] = [];
    const removed: number[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i]!;
      if (gone.has(uid)) {
        removed.push(uid);
        seqs.push(i + 1);
      } else keep.push(uid);
    }
    gone.clear();
    if (removed.length === 0) return;
    this.uids = keep;
    for (const uid of removed) this.pendingFlags.delete(uid);
    if (qresync) {
      out.line(`* VANISHED ${uidSetText(removed)}`);
      return;
    }
    for (let i = seqs.length - 1; i >= 0; i--) out.line(`* ${seqs[i]} EXPUNGE`);
  }
}
