/**
 * iMIP (RFC 6047) on top of iTIP (RFC 5546), reference.md "iMIP scheduling".
 * Outgoing: after an organizer's PUT with ATTENDEEs, METHOD:REQUEST to each attendee (again
 * only when a scheduling-relevant field changed), CANCEL to removed attendees and on DELETE;
 * an attendee's PARTSTAT change sends a REPLY to the organizer. Local recipients get the mail in
 * their INBOX and the object imported directly; remote ones go through the relay queue.
 * Incoming: a delivered text/calendar part is imported into the recipient's Schedule-Inbox
 * (REQUEST creates/updates, CANCEL marks cancelled, REPLY updates the organizer's PARTSTAT).
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser } from 'mailparser';
import type { Logger } from '../common/types.js';
import type { MessageSummary } from '../common/mail.js';
import { applyReply, itipInfo, markCancelled, toItip, toReply, toResource, type ItipInfo } from '../common/itip.js';
import { checkResourceName, SCHEDULE_INBOX, type CalendarService, type CalendarWrite } from './calendar.js';
import type { MailService } from './mail.js';
import type { DeliveryService } from './delivery.js';
import type { OutboundService } from './outbound.js';

/** The collaborators of the iMIP service. */
export interface ImipDeps {
  log: Logger;
  calendar: CalendarService;
  mail: MailService;
  delivery: DeliveryService;
  outbound: OutboundService;
}

const LABEL: Record<string, string> = { REQUEST: 'Invitation', CANCEL: 'Cancelled', REPLY: 'Reply' };

/** A resource name for a UID (the UID itself when it is a safe name, else its hash). */
export function nameForUid(uid: string): string {
  try {
    return checkResourceName(uid, 'resource');
  } catch {
    return createHash('sha256').update(uid).digest('hex').slice(0, 40);
  }
}

/** Sends and receives scheduling messages. */
export class ImipService {
  constructor(private readonly deps: ImipDeps) {}

  /** Register with the calendar (outgoing) and delivery (incoming) hook lists. */
  attach(): void {
    this.deps.calendar.afterWrite.push((w) => this.outgoing(w));
    this.deps.delivery.onDelivered.push((userId, folder, uid, summary) => this.delivered(userId, folder, uid, summary));
  }

  /** Work out and send the iTIP messages a calendar write implies. */
  async outgoing(w: CalendarWrite): Promise<void> {
    const me = w.userId.toLowerCase();
    const cur = w.text ? safeInfo(w.text) : null;
    const prev = w.previous ? safeInfo(w.previous) : null;
    if (cur && cur.organizer === me) {
      const others = cur.attendees.filter((a) => a.email !== me);
      if (others.length > 0 && (!prev || prev.signature !== cur.signature)) {
        const ics = toItip(w.text!, 'REQUEST');
        for (const a of others) await this.send(me, a.email, 'REQUEST', ics, cur.summary);
      }
      const removed = (prev?.attendees ?? []).filter((a) => a.email !== me && !cur.attendees.some((c) => c.email === a.email));
      if (removed.length > 0) {
        const ics = toItip(w.text!, 'CANCEL');
        for (const a of removed) await this.send(me, a.email, 'CANCEL', ics, cur.summary);
      }
    } else if (!cur && prev && prev.organizer === me && w.previous) {
      const ics = toItip(w.previous, 'CANCEL');
      for (const a of prev.attendees.filter((x) => x.email !== me)) await this.send(me, a.email, 'CANCEL', ics, prev.summary);
    } else if (cur && cur.organizer && cur.organizer !== me) {
      const mine = cur.attendees.find((a) => a.email === me);
      const before = prev?.attendees.find((a) => a.email === me);
      if (mine && mine.partstat !== 'NEEDS-ACTION' && mine.partstat !== before?.partstat) {
        await this.send(me, cur.organizer, 'REPLY', toReply(w.text!, me), cur.summary);
      }
    }
  }

  /** Compose one iMIP message and deliver it locally or queue it for relay. */
  async send(from: string, to: string, method: 'REQUEST' | 'CANCEL' | 'REPLY', ics: string, summary: string): Promise<void> {
    const info = itipInfo(ics);
    const text = `${LABEL[method]}: ${summary || '(no title)'}\n\nThis message carries a calendar ${method.toLowerCase()} (iMIP).\n`;
    const raw = await new MailComposer({
      from, to, subject: `${LABEL[method]}: ${summary || '(no title)'}`, text,
      icalEvent: { method, content: ics },
    }).compile().build();
    let route: Awaited<ReturnType<DeliveryService['route']>>;
    try {
      route = await this.deps.delivery.route(to);
    } catch (err) {
      this.deps.log.info('imip: recipient rejected', { to, method, error: (err as Error).message });
      return;
    }
    if (route.local) {
      await this.deps.mail.append(route.userId, 'INBOX', { data: raw });
      if (info) await this.importItip(route.userId, ics, from);
    } else {
      await this.deps.outbound.enqueue(from, [to], raw);
    }
    this.deps.log.debug('imip: sent', { from, to, method, local: route.local });
  }

  /** Delivery hook: import each text/calendar part of a delivered message. */
  async delivered(userId: string, folder: string, uid: number, summary: MessageSummary): Promise<void> {
    const file = this.deps.mail.messageFile(userId, folder, uid);
    const parsed = await simpleParser(await fsp.readFile(file));
    const from = summary.envelope.from[0];
    const sender = from?.mailbox && from.host ? `${from.mailbox}@${from.host}`.toLowerCase() : '';
    const parts = parsed.attachments.filter((a) => /^text\/calendar/i.test(a.contentType));
    for (const p of parts) await this.importItip(userId, p.content.toString('utf8'), sender);
  }

  /** Apply one iTIP object to `userId`'s calendars (RFC 6047 dispatch). */
  async importItip(userId: string, ics: string, sender: string): Promise<void> {
    const info = safeInfo(ics);
    if (!info || !info.uid) return;
    const cal = this.deps.calendar;
    const found = await cal.findByUid(userId, info.uid);
    if (info.method === 'REQUEST' || info.method === 'ADD' || info.method === 'PUBLISH') {
      const stored = found ? await cal.read(userId, found.cal, found.name) : undefined;
      if (stored) {
        const old = safeInfo(stored.text);
        if (old && old.sequence > info.sequence) return;
        await cal.put(userId, found!.cal, found!.name, toResource(ics), {}, { schedule: false });
      } else {
        await cal.put(userId, SCHEDULE_INBOX, nameForUid(info.uid), toResource(ics), {}, { schedule: false });
      }
    } else if (info.method === 'CANCEL' && found) {
      const stored = await cal.read(userId, found.cal, found.name);
      if (stored && (!sender || safeInfo(stored.text)?.organizer === sender || !safeInfo(stored.text)?.organizer)) {
        await cal.put(userId, found.cal, found.name, markCancelled(stored.text), {}, { schedule: false });
      }
    } else if (info.method === 'REPLY' && found) {
      if (sender && !info.attendees.some((a) => a.email === sender)) {
        this.deps.log.info('imip: REPLY not from its attendee ignored', { user: userId });
        return;
      }
      const stored = await cal.read(userId, found.cal, found.name);
      const next = stored ? applyReply(stored.text, ics) : null;
      if (next) await cal.put(userId, found.cal, found.name, next, {}, { schedule: false });
    }
  }
}

function safeInfo(text: string): ItipInfo | null {
  try {
    return itipInfo(text);
  } catch {
    return null;
  }
}
