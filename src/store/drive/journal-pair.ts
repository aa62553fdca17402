/** The two journal files of a drive, used in turn (see JournalPair). */
import { join } from 'node:path';
import { DriveJournal, type RedoLine, type JournalEntry } from './journal-file.js';

/**
 * The two journal files of a drive, `_journal.log` and `_journal.2.log`, used in turn so a
 * checkpoint never stops commits: `rotate` (lock held, one header write) makes the other,
 * empty file the one lines go to, and hands back the previous one; the checkpoint then writes
 * and syncs the state that file covers without the lock, and `finish` empties it. Every header
 * takes a generation above both files' (a shared count), so a reader replays the older file's
 * lines, then the newer's; a file emptied after a checkpoint has a newer header but no lines.
 */
export class JournalPair {
  private readonly files: [DriveJournal, DriveJournal];
  private active = 0;
  /** The other file may hold lines (a checkpoint of them is running, or failed): no rotation. */
  private busy = false;

  constructor(drive: string) {
    this.files = [new DriveJournal(join(drive, '_journal.log')), new DriveJournal(join(drive, '_journal.2.log'))];
  }

  private get current(): DriveJournal {
    return this.files[this.active]!;
  }

  private get top(): number {
    return Math.max(this.files[0].generation, this.files[1].generation);
  }

  /** See DriveJournal.begin (written to the current file). */
  begin(paths: Iterable<string>, data?: Map<string, Buffer>, propsOnly = false): Promise<number> {
    return this.current.begin(paths, data, propsOnly);
  }

  /** See DriveJournal.redo (written to the current file). */
  redo(rec: Omit<RedoLine, 'op' | 'data'>, data?: Map<string, Buffer>): Promise<void> {
    return this.current.redo(rec, data);
  }

  /** The current file's zeroed space runs low (see DriveJournal.wantsGrow). */
  get wantsGrow(): boolean {
    return this.current.wantsGrow;
  }

  /** See DriveJournal.growAhead (the current file; the caller holds the lock until it resolves). */
  growAhead(): Promise<void> {
    return this.current.growAhead();
  }

  /** Bytes of lines in the current file since it was emptied. */
  get bytes(): number {
    return this.current.bytes;
  }

  /** False while the other file still holds lines (a checkpoint of them has not finished). */
  get canRotate(): boolean {
    return !this.busy;
  }

  /**
   * Send later lines to the other file (emptied, under a newer generation than any line so
   * far); returns the file that holds every line until now, for `finish` once its state is
   * durable elsewhere. Call with the lock held.
   */
  async rotate(): Promise<DriveJournal> {
    if (this.busy) throw new Error('drive journal: the previous checkpoint has not finished');
    const old = this.current;
    const next = this.files[1 - this.active]!;
    await next.clear(this.top);
    this.active = 1 - this.active;
    this.busy = true;
    return old;
  }

  /** Empty `old` (a file `rotate` handed back) now that everything it covered is durable. */
  async finish(old: DriveJournal): Promise<void> {
    await old.clear(this.top);
    this.busy = false;
  }

  /** Every live line of both files, the older file's first. */
  async entries(): Promise<JournalEntry[]> {
    const [a, b] = await Promise.all(this.files.map((f) => f.read()));
    return a!.gen <= b!.gen ? [...a!.entries, ...b!.entries] : [...b!.entries, ...a!.entries];
  }

  /** Empty both files (lock held; every line in them resolved); lines then go to the newer. */
  async clear(): Promise<void> {
    const [a, b] = await Promise.all(this.files.map((f) => f.read()));
    const top = Math.max(a!.gen, b!.gen, this.top);
    await this.files[1 - this.active]!.clear(top);
    await this.current.clear(this.top);
    this.busy = false;
  }

  /** Re-read both files' state (another process may have emptied them). */
  async resync(): Promise<void> {
    await Promise.all(this.files.map((f) => f.resync()));
  }

  /** Close both files; `trim`: both are empty, cut them to nothing. */
  async close(trim = false): Promise<void> {
    await Promise.all(this.files.map((f) => f.close(trim)));
  }
}
