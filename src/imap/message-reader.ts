/**
 * Opening stored message files for reading on the FETCH path. Files are opened with O_NOATIME
 * where the platform has it: the first read of a freshly delivered file would otherwise update
 * its access time (relatime), dirtying the inode and taking a file-system journal handle per
 * message, which waits whenever a journal commit is in progress (e.g. behind the fsyncs of
 * concurrent deliveries and flag changes). The server owns its files, so the flag is allowed;
 * if the kernel refuses it (EPERM: a file owned by someone else), plain O_RDONLY is used from
 * then on.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

let flags = constants.O_RDONLY | (constants.O_NOATIME ?? 0);

/** Open a message file read-only (without updating its access time); throws like openSync. */
export function openMessageFile(path: string): number {
  try {
    return openSync(path, flags);
  } catch (err) {
    if (flags === constants.O_RDONLY || (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    flags = constants.O_RDONLY;
    return openSync(path, flags);
  }
}

/**
 * A message file holds fewer bytes than its index entry records (damaged or truncated on
 * disk): the message is left out of the response rather than sending a literal whose length
 * does not match its bytes, which would desynchronise the client.
 */
export class ShortMessageFile extends Error {
  constructor(readonly uid: number, readonly expected: number, readonly actual: number) {
    super(`message file of uid ${uid} has ${actual} bytes, index records ${expected}`);
  }
}

/** Throw ShortMessageFile when the open file `fd` is shorter than `size` bytes. */
export function checkMessageSize(fd: number, uid: number, size: number): void {
  const actual = fstatSync(fd).size;
  if (actual < size) throw new ShortMessageFile(uid, size, actual);
}

/** Size in bytes of a message file, -1 when it does not exist. */
export function messageFileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? -1;
}

/** Calls per event-loop turn and in all of warmReads; `started` once it ran (mutable for tests). */
export const WARM = { perTurn: 100, total: 3000, started: false };

/**
 * Exercise the open/read/close calls of the FETCH path on one message file (`pathOf()`) in the
 * background, once per process: in a fresh process the first few thousand of them cost about
 * twice their later price while V8 compiles node's fs functions (measured on the first
 * 1,000-message BODY.PEEK[] batch of a 100,000-message folder). Started by the first FETCH in a
 * big folder; WARM.perTurn calls per event-loop turn (well under a millisecond). A file that
 * cannot be read ends it quietly (a FETCH reports such a file itself). Answers the number of
 * calls made once done, or null when it had already been started.
 */
export function warmReads(pathOf: () => string): Promise<number> | null {
  if (WARM.started) return null;
  WARM.started = true;
  const buf = Buffer.allocUnsafe(4096);
  let made = 0;
  let path: string | null = null;
  return new Promise((resolve) => {
    const turn = (): void => {
      try {
        path ??= pathOf();
        for (let i = 0; i < WARM.perTurn && made < WARM.total; i++, made++) {
          const fd = openMessageFile(path);
          try {
            readSync(fd, buf, 0, buf.length, 0);
          } finally {
            closeSync(fd);
          }
        }
      } catch {
        resolve(made);
        return;
      }
      if (made < WARM.total) setImmediate(turn);
      else resolve(made);
    };
    setImmediate(turn);
  });
}
