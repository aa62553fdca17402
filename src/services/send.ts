/**
 * POST /messages/send (reference.md; CONTRACT.md): compose an RFC 5322 message with nodemailer's
 * MailComposer, deliver it to local recipients through their actors (INBOX, aliases resolved),
 * queue remote recipients on the relay queue, and file a copy in the sender's Sent.
 * An unknown local recipient is a 400 and nothing is sent; CR/LF in a header value is refused
 * (no header injection).
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { randomBytes } from 'node:crypto';
import type { Services } from './index.js';
import type { Principal } from './auth.js';
import { ValidationError } from '../common/errors.js';
import { splitAddress } from '../common/names.js';

/** What the API answers. */
export interface SendResult {
  message_id: string;
  delivered: string[];
  queued: string[];
}

const MAX_RECIPIENTS = 100;
const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9.-]+$/;

function str(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ValidationError(`${field} must be a string`);
  if (Buffer.byteLength(v) > max) throw new ValidationError(`${field} is too long`);
  return v;
}

function headerValue(v: unknown, field: string): string | undefined {
  const s = str(v, field, 998);
  if (s !== undefined && /[\r\n\0]/.test(s)) throw new ValidationError(`${field} must not contain line breaks`);
  return s;
}

function addresses(v: unknown, field: string, required: boolean): string[] {
  if (v === undefined || v === null) {
    if (required) throw new ValidationError(`${field} is required`);
    return [];
  }
  if (!Array.isArray(v)) throw new ValidationError(`${field} must be an array of addresses`);
  return v.map((a) => {
    if (typeof a !== 'string' || /[\r\n\0]/.test(a) || !ADDRESS.test(a.trim())) throw new ValidationError(`Invalid address in ${field}: ${JSON.stringify(a)}`);
    return a.trim();
  });
}

/** The parsed request. */
interface SendInput {
  to: string[];
  cc: string[];
  bcc: string[];
  subject?: string;
  body?: string;
  html?: string;
  inReplyTo?: string;
  references?: string;
}

/** Validate the JSON body of POST /messages/send. */
export function parseSendInput(b: Record<string, unknown>): SendInput {
  const to = addresses(b.to, 'to', true);
  const cc = addresses(b.cc, 'cc', false);
  const bcc = addresses(b.bcc, 'bcc', false);
  if (to.length + cc.length + bcc.length === 0) throw new ValidationError('At least one recipient is required');
  if (to.length + cc.length + bcc.length > MAX_RECIPIENTS) throw new ValidationError(`At most ${MAX_RECIPIENTS} recipients`);
  const refs = Array.isArray(b.references) ? b.references.map((r, i) => headerValue(r, `references[${i}]`)).join(' ') : headerValue(b.references, 'references');
  return {
    to, cc, bcc,
    subject: headerValue(b.subject, 'subject'),
    body: str(b.body, 'body', 10 * 1024 * 1024),
    html: str(b.html, 'html', 10 * 1024 * 1024),
    inReplyTo: headerValue(b.in_reply_to, 'in_reply_to'),
    references: refs,
  };
}

/** Build the message bytes. */
export function composeMessage(from: string, input: SendInput, messageId: string): Promise<Buffer> {
  const composer = new MailComposer({
    from, to: input.to, cc: input.cc.length ? input.cc : undefined,
    subject: input.subject ?? '', text: input.body ?? (input.html ? undefined : ''), html: input.html,
    inReplyTo: input.inReplyTo, references: input.references, messageId, date: new Date(),
  });
  return new Promise((resolve, reject) => composer.compile().build((err, msg) => (err ? reject(err) : resolve(msg))));
}

/** Compose, deliver locally, queue remotely, copy to Sent. */
export async function sendMessage(services: Services, sender: Principal, body: Record<string, unknown>): Promise<SendResult> {
  const input = parseSendInput(body);
  const messageId = `<${randomBytes(12).toString('hex')}@${services.config.hostname}>`;
  const raw = await composeMessage(sender.id, input, messageId);
  const { delivered, queued } = await submitRaw(services, sender, [...input.to, ...input.cc, ...input.bcc], raw);
  return { message_id: messageId, delivered, queued };
}

/**
 * Send ready message bytes (the webmail composes its own, with attachments): route every
 * recipient first (an unknown local one is a 400 and nothing is sent), deliver locally through
 * the actors, queue remote ones on the relay queue, file a copy in the sender's Sent.
 */
export async function submitRaw(services: Services, sender: Principal, recipients: string[], raw: Buffer): Promise<{ delivered: string[]; queued: string[] }> {
  const { accounts, mail } = services;
  const local = new Map<string, string[]>();
  const remote: string[] = [];
  for (const rcpt of [...new Set(recipients.map((a) => a.toLowerCase()))]) {
    const a = splitAddress(rcpt);
    if (!a) throw new ValidationError(`Invalid address: ${rcpt}`);
    if (accounts.servesDomain(a.domain)) {
      const rec = await accounts.resolve(a.user, a.domain);
      if (!rec || !rec.enabled) throw new ValidationError(`Unknown local recipient: ${rcpt}`);
      const id = `${rec.username}@${rec.domain}`;
      local.set(id, [...(local.get(id) ?? []), rcpt]);
    } else remote.push(rcpt);
  }
  const delivered: string[] = [];
  for (const [userId, rcpts] of local) {
    await mail.append(userId, 'INBOX', { data: raw });
    delivered.push(...rcpts);
  }
  // REMOTE DELIVERY CALL SITE: the relay queue (services/outbound.ts) takes remote recipients.
  if (remote.length) await services.outbound.enqueue(sender.id, remote, raw);
  await mail.append(sender.id, 'Sent', { data: raw }, { flags: ['\\Seen'] });
  return { delivered, queued: remote };
}
