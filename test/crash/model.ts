/**
 * The crash harness's model of what may be on disk: every write is recorded with the states it
 * may have left (several while unacknowledged, exactly one once acknowledged), and what a
 * restarted server shows is checked against it.
 */

/** A message, tracked by the unique token in its Subject. */
export interface MsgModel {
  user: string;
  token: string;
  /** Folders it may be in; 'gone' when it may not exist. */
  where: Set<string>;
  uid?: number;
  /** Possible \Flagged / \Seen states ('' = unknown/any). */
  flags: Set<string>;
  busy: boolean;
  /** The write that set `busy` (a write cut by an earlier kill may settle late: it must not clear a newer one's mark). */
  owner?: object;
}

/** A calendar event or a drive file: its possible contents ('' = absent). */
export interface ItemModel {
  key: string;
  contents: Set<string>;
  busy: boolean;
  owner?: object;
  /** Operations on it not known to have settled since the last check (named in a finding). */
  pending?: string[];
}

/** Totals reported at the end. */
export interface Tally {
  kills: number;
  acked: number;
  unacked: number;
  lost: string[];
  violations: string[];
}

/** The whole model. */
export class Model {
  msgs = new Map<string, MsgModel>();
  events = new Map<string, ItemModel>();
  files = new Map<string, ItemModel>();
  /** Highest UID ever shown per `user/folder` (acknowledged or observed). */
  maxUid = new Map<string, number>();
  uidValidity = new Map<string, number>();
  tally: Tally = { kills: 0, acked: 0, unacked: 0, lost: [], violations: [] };
  private n = 0;
  private readonly seen = new Set<string>();
  /** Unacknowledged writes by operation and reason. */
  readonly unackedWhy = new Map<string, number>();

  /** A fresh token. */
  token(kind: string): string {
    return `T${kind}${(++this.n).toString(36)}x${Date.now().toString(36)}`;
  }

  /** Begin a write on `m`; returns the mark to hand to `end`. */
  begin(m: { busy: boolean; owner?: object }): object {
    const owner = {};
    m.busy = true;
    m.owner = owner;
    return owner;
  }

  /** The write that began with `owner` settled: clear the mark unless a newer write holds it. */
  end(m: { busy: boolean; owner?: object }, owner: object): void {
    if (m.owner !== owner) return;
    m.busy = false;
    m.owner = undefined;
  }

  /** Record a violation; one that persists across restarts is counted once. */
  violation(what: string): void {
    if (this.seen.has(what)) return;
    this.seen.add(what);
    this.tally.violations.push(what);
  }

  /** Record an acknowledged write found missing or changed. */
  lost(what: string): void {
    this.tally.lost.push(what);
  }

  /** Messages of `user` acknowledged in `folder` and not in flight. */
  settledIn(user: string, folder: string): MsgModel[] {
    return [...this.msgs.values()].filter((m) => m.user === user && !m.busy && m.where.size === 1 && m.where.has(folder) && m.uid);
  }

  /** A write was acknowledged. */
  ack(): void {
    this.tally.acked++;
  }

  /** A write failed or was cut by the kill (`why`: operation and reason, counted). */
  unacked(why: string): void {
    this.tally.unacked++;
    this.unackedWhy.set(why, (this.unackedWhy.get(why) ?? 0) + 1);
  }

  /** Record a UID shown to a client; false when it went backwards. */
  seeUid(user: string, folder: string, uid: number, fresh: boolean): boolean {
    const k = `${user}/${folder}`;
    const max = this.maxUid.get(k) ?? 0;
    if (uid > max) this.maxUid.set(k, uid);
    return !fresh || uid > max;
  }
}

/** The order-independent form of a flag list. */
export const flagKey = (flags: readonly string[]): string => flags.filter((f) => f === '\\Seen' || f === '\\Flagged').sort().join(' ');
