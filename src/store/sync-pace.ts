/**
 * Process-wide pacing of synchronous journal writes on the event loop (the mail folder journals
 * and the drive journals). A small O_DSYNC write over space already written takes about 0.1 ms
 * of device time; written synchronously it saves the thread-pool round trip (two thread
 * wake-ups: 0.02-0.1 ms a write measured here, more than the write itself at the tail). But it
 * blocks the loop: a synchronous write that took longer than SLOW_MS (DESIGN's bound on an
 * event-loop stall) sends every journal write of this process to the pool for BACKOFF_MS, and
 * synchronous writes may take at most BUDGET_MS of every WINDOW_MS, so a busy server keeps group
 * commit and a responsive loop. One budget for every journal: they block the same loop.
 */

const SLOW_MS = 2;
const BACKOFF_MS = 250;
const WINDOW_MS = 100;
const BUDGET_MS = 50;

const pace = { asyncUntil: 0, windowStart: 0, spent: 0 };

/** True when a journal write starting at `now` (performance.now()) may run synchronously. */
export function syncAllowed(now: number): boolean {
  if (now < pace.asyncUntil) return false;
  if (now - pace.windowStart >= WINDOW_MS) {
    pace.windowStart = now;
    pace.spent = 0;
  }
  return pace.spent < BUDGET_MS;
}

/**
 * Count a synchronous write that ran from `started` to `now`; `expectedSlow` (a write that also
 * grew the file) is charged to the budget but never triggers the backoff.
 */
export function noteSync(started: number, now: number, expectedSlow = false): void {
  const took = now - started;
  pace.spent += took;
  if (took > SLOW_MS && !expectedSlow) pace.asyncUntil = now + BACKOFF_MS;
}
