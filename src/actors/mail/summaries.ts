/**
 * A folder's message summaries (`summaries.jsonl`: `{uid} {MessageSummary JSON}\n`), written at
 * append time beside the index and never fsync'd on their own: a lost or torn line is simply
 * recomputed by the `mime` worker. Appended with a synchronous write (into the page cache:
 * microseconds, no thread-pool round trip per commit). Loaded lazily, once, as one Buffer with
 * an offset per uid (no string per message until asked), so FETCH 1:* over 100k messages reads
 * one file.
 */
import { promises as fsp, openSync, writeFileSync, closeSync } from 'node:fs';
import { writeFileDurable } from '../../store/atomic.js';
import type { MessageMeta } from '../../common/mail.js';

/** Dead lines (of expunged messages) tolerated before the file is rewritten. */
const COMPACT_MIN = 500;

class Loaded {
  readonly offsets = new Map<number, number>();
  readonly added = new Map<number, string>();

  constructor(readonly buf: Buffer) {}

  get(uid: number): string | undefined {
    const a = this.added.get(uid);
    if (a !== undefined) return a;
    const off = this.offsets.get(uid);
    if (off === undefined) return undefined;
    const end = this.buf.indexOf(0x0a, off);
    return this.buf.toString('utf8', off, end < 0 ? this.buf.length : end);
  }
}

/** The summaries of one folder. */
export class FolderSummaries {
  private loaded: Loaded | null = null;
  private loading: Promise<Loaded> | null = null;
  /** Lines of messages expunged since the folder was opened (drives compaction). */
  private dead = 0;
  /** The file kept open for appends (reopened after a rewrite). */
  private out: number | null = null;

  /** `live(uid)` says whether a uid is still in the folder (lines of others are ignored). */
  constructor(private readonly path: string, private readonly live: (uid: number) => boolean) {}

  /** The summary JSON of a message, or undefined when none is stored. */
  async get(uid: number): Promise<string | undefined> {
    return (this.loaded ?? (await this.load())).get(uid);
  }

  /** The summary JSON when the file is already loaded. */
  getSync(uid: number): string | undefined {
    return this.loaded?.get(uid);
  }

  /** Load the file now (once). */
  async loadOnce(): Promise<void> {
    if (!this.loaded) await this.load();
  }

  /** Append summaries (rows with null are skipped). */
  async append(rows: [number, string | null][]): Promise<void> {
    const lines = rows.filter((r) => r[1] !== null).map(([uid, json]) => `${uid} ${json}\n`);
    if (lines.length === 0) return;
    this.out ??= openSync(this.path, 'a');
    writeFileSync(this.out, lines.join('')); // an O_APPEND descriptor: all of it, at the end
    if (this.loaded) for (const [uid, json] of rows) if (json !== null) this.loaded.added.set(uid, json);
  }

  /** Note expunged messages. */
  expunged(uids: number[]): void {
    for (const u of uids) {
      this.loaded?.added.delete(u);
      this.loaded?.offsets.delete(u);
    }
    this.dead += uids.length;
  }

  /** Forget what is loaded (the index was reloaded; another process may have rewritten the file). */
  drop(): void {
    this.loaded = null;
    void this.close();
  }

  /** Close the append handle (the next append reopens the file). */
  async close(): Promise<void> {
    const out = this.out;
    this.out = null;
    if (out !== null) closeSync(out);
  }

  private load(): Promise<Loaded> {
    if (this.loaded) return Promise.resolve(this.loaded);
    this.loading ??= (async () => {
      const buf = await fsp.readFile(this.path).catch(() => Buffer.alloc(0));
      const store = new Loaded(buf);
      for (let pos = 0; pos < buf.length;) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0) break; // a torn last line
        let uid = 0;
        let p = pos;
        while (p < nl && buf[p]! >= 0x30 && buf[p]! <= 0x39) uid = uid * 10 + buf[p++]! - 0x30;
        if (p > pos && buf[p] === 0x20 && this.live(uid)) store.offsets.set(uid, p + 1);
        pos = nl + 1;
      }
      this.loaded = store;
      this.loading = null;
      return store;
    })();
    return this.loading;
  }

  /** Rewrite the file without dead lines once many messages were expunged (inside the actor). */
  async compact(messages: readonly MessageMeta[]): Promise<void> {
    if (this.dead < Math.max(COMPACT_MIN, messages.length)) return;
    this.dead = 0;
    const st = await fsp.stat(this.path).catch(() => null);
    if (!st) return;
    const store = await this.load();
    const live: string[] = [];
    for (const m of messages) {
      const json = store.get(m.uid);
      if (json !== undefined) live.push(`${m.uid} ${json}\n`);
    }
    const liveBytes = live.reduce((n, l) => n + Buffer.byteLength(l), 0);
    if (st.size > liveBytes * 1.5 + 4096) {
      await this.close();
      await writeFileDurable(this.path, live.join(''));
      this.loaded = null; // reloaded from the new file when next asked
    }
  }
}
