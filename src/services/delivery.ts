/**
 * Local delivery: resolve recipients (users, then the domain's regex alias rules), check quota,
 * verify SPF/DKIM/DMARC (mailauth) into an Authentication-Results header, and append one copy to
 * each recipient's INBOX through the mail service (each user's actor in turn). A copy is
 * acknowledged only once the store's append resolved (file fsync'd, renamed, journal fsync'd).
 *
 * Hooks: `onDelivered` runs after a message with text/calendar parts landed (iMIP intake).
 */
import { promises as fsp } from 'node:fs';
import { promises as dns } from 'node:dns';
import { authenticate, spf, dmarc, type DNSResolver } from 'mailauth';
import addressparser from 'nodemailer/lib/addressparser';
import { isIP } from 'node:net';
import type { Config, Logger } from '../common/types.js';
import type { MessageSummary } from '../common/mail.js';
import { QuotaError, SmtpError } from '../common/errors.js';
import { accountId, splitAddress } from '../common/names.js';
import type { AccountService } from './accounts.js';
import type { MailService, AppendOptions } from './mail.js';
import type { UnsyncedFile } from '../store/mail/files.js';
import { TempFileReserve, type Spool } from './spool.js';
import { summarizeHere } from '../workers/pool.js';

/** Called after a message with calendar parts was delivered (the CalDAV side imports it). */
export type DeliveredHook = (userId: string, folder: string, uid: number, summary: MessageSummary) => Promise<void> | void;

/** Where an address goes: a local account, or (for a domain not served here) a remote one. */
export type Route = { local: true; userId: string } | { local: false };

/** The outcome of one local copy. */
export type CopyOutcome = { userId: string; ok: true; uid: number } | { userId: string; ok: false; error: SmtpError };

/** What the client told us, for the Received and Authentication-Results headers. */
export interface ClientInfo {
  ip: string;
  helo: string;
  /** Envelope sender ('' for the null reverse-path). */
  sender: string;
  /** RFC 3848 protocol: ESMTP, ESMTPS, ESMTPA, ESMTPSA. */
  protocol: string;
  /** Transaction id for the Received header. */
  id: string;
  /** The only recipient, named in `for <...>` (omitted for several, to not leak Bcc). */
  recipient?: string;
}

const AUTH_TIMEOUT_MS = 10_000;
/** How long the SPF/DMARC headers of one (client ip, helo, sender, From) are reused. */
const AUTH_CACHE_MS = 30_000;
const AUTH_CACHE_MAX = 10_000;

/** Messages up to this size are summarized on the event loop (tens of µs), larger ones by the mime worker. */
const INLINE_SUMMARY_MAX = 64 * 1024;

/** The summary of a message's bytes, or undefined when it cannot be computed (the store recomputes it when read). */
function summarizeOrUndefined(buf: Buffer): MessageSummary | undefined {
  try {
    return summarizeHere(buf);
  } catch {
    return undefined;
  }
}

const DNS_TTL_MS = 300_000;
const DNS_NEGATIVE_TTL_MS = 60_000;
const DNS_TEMPFAIL_TTL_MS = 30_000;

/**
 * A DNS resolver for mailauth with short timeouts (a DNS failure is a temperror, never a hang)
 * and a small in-process cache: answers for 5 min, NXDOMAIN/NODATA for 1 min (RFC 2308 style),
 * timeouts and server failures for 30 s, so a dead resolver costs one timeout per name per
 * 30 s rather than one per message; concurrent lookups of one name share one query.
 */
export function defaultResolver(opts: { servers?: string[]; timeoutMs?: number } = {}): DNSResolver {
  const r = new dns.Resolver({ timeout: opts.timeoutMs ?? 2000, tries: 2 });
  if (opts.servers) r.setServers(opts.servers);
  const cache = new Map<string, { until: number; value?: string[][] | string[]; err?: unknown }>();
  const inflight = new Map<string, Promise<string[][] | string[]>>();
  const lookup = async (key: string, name: string, rrtype: string): Promise<string[][] | string[]> => {
    try {
      const value = (await r.resolve(name, rrtype)) as string[][] | string[];
      cache.set(key, { until: Date.now() + DNS_TTL_MS, value });
      return value;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const ttl = code === 'ENOTFOUND' || code === 'ENODATA' ? DNS_NEGATIVE_TTL_MS : DNS_TEMPFAIL_TTL_MS;
      cache.set(key, { until: Date.now() + ttl, err });
      throw err;
    } finally {
      inflight.delete(key);
    }
  };
  return async (name, rrtype) => {
    const key = `${rrtype} ${name.toLowerCase()}`;
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) {
      if (hit.err) throw hit.err;
      return hit.value!;
    }
    if (cache.size > 10_000) cache.clear();
    let p = inflight.get(key);
    if (!p) {
      p = lookup(key, name, rrtype);
      inflight.set(key, p);
    }
    return p;
  };
}

let dateSecond = -1;
let dateText = '';

/** Now as an RFC 5322 date (`Thu, 26 Nov 2026 01:02:03 +0000`), formatted once per second. */
function receivedDate(): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  if (sec !== dateSecond) {
    dateSecond = sec;
    dateText = new Date(sec * 1000).toUTCString().replace('GMT', '+0000');
  }
  return dateText;
}

/** Local delivery and recipient resolution. */
export class DeliveryService {
  /** iMIP intake: run after a message with text/calendar parts lands in a user's folder. */
  readonly onDelivered: DeliveredHook[] = [];
  /** DNS for SPF/DKIM/DMARC (tests replace it with one that fails fast). */
  resolver: DNSResolver = defaultResolver();
  /** Recent SPF/DMARC headers of unsigned mail, by (ip, helo, sender, From addresses). */
  private readonly authCache = new Map<string, { until: number; headers: string; resolver: DNSResolver }>();
  /** From values lately seen in unsigned mail -> their addresses (the authCache key needs them). */
  private readonly fromCache = new Map<string, string[]>();
  /** Temp files for received messages, created ahead on the thread pool (made on first delivery). */
  private temps: TempFileReserve | undefined;

  constructor(
    private readonly deps: { config: Config; log: Logger; accounts: AccountService; mail: MailService },
  ) {}

  /** Release the reserved temp files (at shutdown). */
  async close(): Promise<void> {
    this.temps ??= new TempFileReserve(this.deps.config.mail_root);
    await this.temps.close();
  }

  /** Route an address: its local account (user or alias), remote, or a 550 for an unknown local user. */
  async route(address: string): Promise<Route> {
    const a = splitAddress(address);
    if (!a) throw new SmtpError(501, 'Bad recipient address syntax', '5.1.3');
    if (!this.deps.accounts.servesDomain(a.domain)) return { local: false };
    const rec = await this.deps.accounts.resolve(a.user, a.domain);
    if (!rec) throw new SmtpError(550, `<${address}>: no such user here`, '5.1.1');
    if (!rec.enabled) throw new SmtpError(550, `<${address}>: mailbox disabled`, '5.2.1');
    return { local: true, userId: accountId(rec.username, rec.domain) };
  }

  /** True when `address` is the user `userId` or one of their aliases. */
  async owns(userId: string, address: string): Promise<boolean> {
    const a = splitAddress(address);
    if (!a) return false;
    const rec = await this.deps.accounts.resolve(a.user, a.domain);
    return !!rec && accountId(rec.username, rec.domain) === userId;
  }

  /** Refuse a recipient that is over quota now (452), or that `size` alone would overflow (552). */
  async checkQuota(userId: string, size: number): Promise<void> {
    const q = await this.deps.mail.quota(userId);
    if (size > q.limit) throw new SmtpError(552, 'Message exceeds the recipient\'s storage quota', '5.2.2');
    if (q.used >= q.limit || q.used + size > q.limit) throw new SmtpError(452, 'Mailbox full, try again later', '4.2.2');
  }

  /** The Received header (CRLF-terminated) this server adds (RFC 5321 4.4). */
  receivedHeader(c: ClientInfo): string {
    const helo = (c.helo || 'unknown').replace(/[^\x21-\x7e]/g, '');
    const forPart = c.recipient ? `\r\n\tfor <${c.recipient}>` : '';
    return `Received: from ${helo} ([${c.ip}])\r\n\tby ${this.deps.config.hostname} (rmail) with ${c.protocol} id ${c.id}${forPart};\r\n\t${receivedDate()}\r\n`;
  }

  /**
   * SPF, DKIM and DMARC of a received message as Authentication-Results (and Received-SPF)
   * headers. A DNS failure or timeout is recorded as temperror and never blocks delivery.
   */
  async authResults(spool: Spool, c: ClientInfo): Promise<string> {
    const host = this.deps.config.hostname;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('authentication checks timed out')), AUTH_TIMEOUT_MS);
      });
      // only the header block: a DKIM-Signature line in a body does not sign the message
      const head = (await spool.headerBlock()).toString('latin1');
      const headers = await Promise.race([
        /^dkim-signature:/im.test(head) ? this.fullAuth(spool, c) : this.unsignedAuth(head, c),
        timeout,
      ]).finally(() => clearTimeout(timer));
      const h = headers.replace(/\r?\n/g, '\r\n');
      return h.endsWith('\r\n') ? h : `${h}\r\n`;
    } catch (err) {
      this.deps.log.warn('smtp: authentication checks failed', { err: (err as Error).message });
      const from = c.sender ? ` smtp.mailfrom=${c.sender}` : '';
      return `Authentication-Results: ${host};\r\n\tspf=temperror${from};\r\n\tdkim=temperror;\r\n\tdmarc=temperror\r\n`;
    }
  }

  private async fullAuth(spool: Spool, c: ClientInfo): Promise<string> {
    const res = await authenticate(spool.stream(), {
      ip: c.ip, helo: c.helo, sender: c.sender, mta: this.deps.config.hostname, resolver: this.resolver, disableArc: true, disableBimi: true,
    });
    return res.headers;
  }

  /**
   * The same headers as mailauth's authenticate() for a message without DKIM signatures, without
   * parsing the body: SPF of the envelope, dkim=none, DMARC of the From domain.
   */
  private async unsignedAuth(head: string, c: ClientInfo): Promise<string> {
    const mta = this.deps.config.hostname;
    const helo = c.helo && !isIP(c.helo) ? c.helo : `[${c.helo || c.ip}]`;
    const fromLine = /^from:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head.slice(0, head.search(/\r?\n\r?\n/) >>> 0));
    const from = fromLine ? this.fromAddresses(fromLine[1]!.replace(/\r?\n/g, '')) : [];
    // The headers depend only on these inputs (and DNS): a sender's next messages reuse them for a while.
    const key = [c.ip, helo, c.sender, ...from].join('\0').toLowerCase();
    const hit = this.authCache.get(key);
    if (hit && hit.until > Date.now() && hit.resolver === this.resolver) return hit.headers;
    const resolver = this.resolver;
    const headers = await this.checkUnsigned([...from], helo, c);
    if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
    this.authCache.set(key, { until: Date.now() + AUTH_CACHE_MS, headers, resolver });
    return headers;
  }

  /** The addresses of a From value (a sender's next messages carry the same value: parsed once a while). */
  private fromAddresses(value: string): string[] {
    let list = this.fromCache.get(value);
    if (!list) {
      list = addressparser(value, { flatten: true }).map((a) => a.address).filter(Boolean) as string[];
      if (this.fromCache.size >= AUTH_CACHE_MAX) this.fromCache.clear();
      if (value.length <= 1000) this.fromCache.set(value, list);
    }
    return list;
  }

  private async checkUnsigned(from: string[], helo: string, c: ClientInfo): Promise<string> {
    const mta = this.deps.config.hostname;
    const spfRes = await spf({ sender: c.sender || undefined, ip: c.ip, helo, mta, resolver: this.resolver });
    const ar = ['dkim=none (message not signed)'];
    const out: string[] = [];
    if (spfRes) {
      ar.push(spfRes.info);
      out.push(spfRes.header);
    }
    if (from.length > 0) {
      const res = await dmarc({
        headerFrom: from,
        spfDomains: spfRes && spfRes.status.result === 'pass' && spfRes.domain ? [spfRes.domain] : [],
        dkimDomains: [],
        resolver: this.resolver,
      });
      if (res && res.info) ar.push(res.info);
    }
    out.push(`Authentication-Results: ${mta};\r\n ${ar.join(';\r\n ')}`);
    return out.join('\r\n') + '\r\n';
  }

  /**
   * Append `prefix` + the message to each user's INBOX, the users' commits in parallel. Each
   * user gets a hard link of one temp file (messages are immutable), written and fsync'd once
   * while the mime worker summarizes the bytes once; a copy refused for quota is a 452/552,
   * anything else a 451. Resolves when every successful copy is durable.
   */
  async deliver(spool: Spool, prefix: string, userIds: string[]): Promise<CopyOutcome[]> {
    const users = [...new Set(userIds)];
    if (users.length === 0) return [];
    const buf = spool.buffer();
    const when = Date.now();
    let first: string;
    let opts: AppendOptions = {};
    let unsynced: UnsyncedFile | undefined;
    /** Whether the iMIP hooks must look at the delivered copies (known here when summarized inline). */
    let calendar: boolean | undefined;
    if (buf) {
      const head = Buffer.from(prefix);
      let parsed: Promise<MessageSummary | undefined>;
      if (head.length + buf.length <= INLINE_SUMMARY_MAX) {
        // tens of microseconds here, where a worker round trip costs the event loop more than that
        const summary = summarizeOrUndefined(Buffer.concat([head, buf], head.length + buf.length));
        if (summary) calendar = summary.calendarParts.length > 0 && this.onDelivered.length > 0;
        parsed = Promise.resolve(summary);
      } else {
        const whole = new Uint8Array(head.length + buf.length); // its own ArrayBuffer, moved to the worker
        whole.set(head);
        whole.set(buf, head.length);
        parsed = this.deps.mail.summarize(whole, true).catch(() => undefined); // undefined: recomputed when read
      }
      // written once into a file made ahead of time, fsync'd by the store in the commit round
      // (shared by every recipient's link)
      this.temps ??= new TempFileReserve(this.deps.config.mail_root);
      unsynced = await this.temps.write([head, buf]);
      first = unsynced.path;
      opts = { internalDate: when, unsynced, summary: parsed };
    } else first = await spool.writeTo(prefix, false, 'in');
    try {
      return await this.deliverFiles(first, users, opts, Buffer.byteLength(prefix) + spool.size, calendar ?? this.mayHaveCalendar(spool));
    } finally {
      void unsynced?.close(); // after the fsync: nothing waits for it
    }
  }

  /** Hard-link `first` for every further user, then append one to each user's INBOX in parallel. */
  private async deliverFiles(first: string, users: string[], opts: AppendOptions, size: number, calendar: boolean): Promise<CopyOutcome[]> {
    const files = [first];
    try {
      for (let i = 1; i < users.length; i++) {
        const link = `${first}.${i}`;
        await fsp.link(first, link);
        files.push(link);
      }
    } catch (err) {
      await Promise.all(files.map((f) => fsp.rm(f, { force: true })));
      throw err;
    }
    return Promise.all(users.map(async (userId, i): Promise<CopyOutcome> => {
      try {
        const r = await this.deps.mail.append(userId, 'INBOX', { file: files[i]! }, opts);
        if (calendar) await this.runHooks(userId, 'INBOX', r.uid);
        return { userId, ok: true, uid: r.uid };
      } catch (err) {
        await fsp.rm(files[i]!, { force: true });
        return { userId, ok: false, error: await this.copyError(userId, size, err) };
      }
    }));
  }

  /** Deliver a ready message (a DSN, a reminder) to a local address's INBOX; false when not local. */
  async deliverRaw(address: string, data: Buffer): Promise<boolean> {
    let route: Route;
    try {
      route = await this.route(address);
    } catch {
      return false;
    }
    if (!route.local) return false;
    await this.deps.mail.append(route.userId, 'INBOX', { data });
    return true;
  }

  private async copyError(userId: string, size: number, err: unknown): Promise<SmtpError> {
    if (err instanceof SmtpError) return err;
    if (err instanceof QuotaError) {
      const limit = await this.deps.mail.quota(userId).then((q) => q.limit, () => Infinity);
      return size > limit
        ? new SmtpError(552, 'Message exceeds the recipient\'s storage quota', '5.2.2')
        : new SmtpError(452, 'Mailbox full, try again later', '4.2.2');
    }
    this.deps.log.error('smtp: local delivery failed', { user: userId, err: err as Error });
    return new SmtpError(451, 'Local delivery failed, try again later', '4.3.0');
  }

  private mayHaveCalendar(spool: Spool): boolean {
    if (this.onDelivered.length === 0) return false;
    const b = spool.buffer();
    return b === null || /text\/calendar/i.test(b.toString('latin1'));
  }

  private async runHooks(userId: string, folder: string, uid: number): Promise<void> {
    try {
      const summary = await this.deps.mail.summary(userId, folder, uid);
      if (summary.calendarParts.length === 0) return;
      for (const hook of this.onDelivered) await hook(userId, folder, uid, summary);
    } catch (err) {
      this.deps.log.warn('smtp: delivery hook failed', { user: userId, err: (err as Error).message });
    }
  }
}
