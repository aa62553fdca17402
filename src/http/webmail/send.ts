/**
 * The webmail's way to send a composed message: the very function POST /messages/send uses
 * (src/services/send.ts `sendMessage`: local recipients delivered through their actors, remote
 * ones queued on the relay queue, a copy in Sent; an unknown local recipient is a 400 and
 * nothing is sent).
 */
import type { Services } from '../../services/index.js';
import type { Principal } from '../../services/auth.js';
import { sendMessage, type SendResult } from '../../services/send.js';

/** What the compose form submits. */
export interface ComposedMail {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  inReplyTo?: string;
  references?: string;
}

/** Send a composed message as `sender`. */
export function submitMessage(services: Services, sender: Principal, m: ComposedMail): Promise<SendResult> {
  return sendMessage(services, sender, {
    to: m.to, cc: m.cc, bcc: m.bcc, subject: m.subject, body: m.body, in_reply_to: m.inReplyTo, references: m.references,
  });
}
