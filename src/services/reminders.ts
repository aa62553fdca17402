/**
 * Reminders (reference.md "Reminders"): every 60 s, find VALARM triggers (relative or
 * absolute, on every instance of recurring events) from the end of the last scan to one scan
 * ahead, and deliver one reminder email per occurrence and alarm to the owner's INBOX.
 *
 * Never twice: each firing's key is recorded in `system/reminders.json` (durable write through
 * the system actor) before the mail is appended, so a crash between the two loses at most that
 * one reminder rather than sending it again; the scan window resumes from `last_scan` after a
 * restart (bounded to one day back), so firings during downtime are still sent once.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config, Logger } from '../common/types.js';
import type { ActorRegistry } from '../actors/registry.js';
import { readJson, writeJsonDurable } from '../store/atomic.js';
import { remindersStateFile } from '../store/layout.js';
import type { AccountService } from './accounts.js';
import type { CalendarService } from './calendar.js';
import type { MailService } from './mail.js';

/** reminders.json */
interface ReminderState {
  last_scan: number;
  /** firing key -> trigger time (ms); pruned two days after the trigger. */
  sent: Record<string, number>;
}

/** The collaborators of the scheduler. */
export interface ReminderDeps {
  config: Config;
  log: Logger;
  actors: ActorRegistry;
  accounts: AccountService;
  calendar: CalendarService;
  mail: MailService;
}

const SCAN_MS = 60_000;
const MAX_BACK = 86_400_000;
const KEEP_MS = 2 * 86_400_000;

/** The 60-second reminder scan. */
export class ReminderService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: ReminderDeps, private readonly intervalMs = SCAN_MS) {}

  /** Start scanning (first scan right away). */
  start(): void {
    const tick = () => {
      this.running ??= this.scan().then(() => undefined).catch((err) => this.deps.log.error('reminders: scan failed', { err: err as Error })).finally(() => {
        this.running = null;
      });
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  /** Stop scanning and wait for a scan in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One scan: triggers in [last_scan, now + interval) not yet sent. Returns the number sent. */
  async scan(now = Date.now()): Promise<number> {
    const file = remindersStateFile(this.deps.config.mail_root);
    const state = (await readJson<ReminderState>(file)) ?? { last_scan: now - this.intervalMs, sent: {} };
    const from = Math.max(state.last_scan, now - MAX_BACK);
    const to = now + this.intervalMs;
    let count = 0;
    for (const domain of this.deps.accounts.domains) {
      for (const user of await this.deps.accounts.list(domain)) {
        if (!user.enabled) continue;
        const userId = `${user.username}@${user.domain}`;
        for (const cal of await this.deps.calendar.names(userId)) {
          for (const a of await this.deps.calendar.alarms(userId, cal, { start: from, end: to })) {
            const key = `${userId}|${cal}|${a.name}|${a.recurrenceId ?? ''}|${a.alarm}|${a.trigger}`;
            if (state.sent[key] !== undefined) continue;
            state.sent[key] = a.trigger;
            await this.save(file, state);
            await this.deliver(userId, a);
            count += 1;
          }
        }
      }
    }
    state.last_scan = to;
    for (const [k, t] of Object.entries(state.sent)) if (t < now - KEEP_MS) delete state.sent[k];
    await this.save(file, state);
    return count;
  }

  private save(file: string, state: ReminderState): Promise<void> {
    return this.deps.actors.system().mutate(() => writeJsonDurable(file, state));
  }

  private async deliver(userId: string, a: { summary: string; location: string; start: number; allDay: boolean; uid: string }): Promise<void> {
    const when = a.allDay ? new Date(a.start).toISOString().slice(0, 10) : new Date(a.start).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
    const title = a.summary || '(no title)';
    const raw = await new MailComposer({
      from: `Calendar <reminders@${this.deps.config.hostname}>`,
      to: userId,
      subject: `Reminder: ${title} (${when})`,
      text: `Reminder: ${title}\nWhen: ${when}\n${a.location ? `Where: ${a.location}\n` : ''}`,
      headers: { 'X-Rmail-Reminder': a.uid },
    }).compile().build();
    await this.deps.mail.append(userId, 'INBOX', { data: raw });
    this.deps.log.debug('reminders: sent', { user: userId });
  }
}
