/**
 * Run something once nothing happened for a while (close a user's journal files after a quiet
 * minute, log out an idle IMAP session). `touch()` notes activity without touching the timer:
 * one timer is armed, and when it fires early (activity since) it re-arms for the rest of the
 * quiet time, so a busy user or session costs no clearTimeout + setTimeout per write or line.
 */
export class IdleTimer {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}

  /** Note activity now: `onIdle` runs once `ms` pass without another touch. */
  touch(): void {
    this.last = performance.now();
    if (!this.timer) this.arm(this.ms);
  }

  /** Stop waiting (`onIdle` does not run unless touched again). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const quiet = performance.now() - this.last;
      if (quiet < this.ms) return this.arm(this.ms - quiet);
      this.timer = null;
      this.onIdle();
    }, ms);
    this.timer.unref();
  }
}
