/**
 * The durable outbound relay queue (src/store/queue.ts layout). Invariants:
 * - `enqueue` resolves only after the DKIM-signed message and its state are on disk, so an
 *   acknowledged message survives a restart or `kill -9`; state changes go through the system
 *   actor (under the system flock, shared with the CLI).
 * - Each pending recipient is retried with exponential backoff until sent, refused with a 5xx,
 *   or older than `maxAgeMs` (5 days); refused and expired recipients get one RFC 3464 DSN to
 *   the envelope sender (none for a bounce itself).
 * - `rmail queue flush` touches a marker file; the running server retries everything at its next tick.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import type { Config, Logger } from '../common/types.js';
import type { ActorRegistry } from '../actors/registry.js';
import { splitAddress } from '../common/names.js';
import { queueMessageFile } from '../store/layout.js';
import { takeFlushMarker, type QueueEntry } from '../store/queue.js';
import { QueueFiles } from '../actors/queue.js';
import { generateDkimKey, dkimSignatureFor } from './dkim.js';
import { buildDsn, headerBlock, type FailedRecipient } from './dsn.js';
import { attemptDelivery, dnsMx, type SendOptions, type SendResult } from './outbound-send.js';
import { Spool } from './spool.js';

/** Timings and limits of the queue (tests shorten them). */
export interface OutboundOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  maxAgeMs: number;
  tickMs: number;
  concurrency: number;
  send: SendOptions;
}

/** Defaults: first retry after 1 min, doubling up to 1 h, give up after 5 days. */
export const defaultOutboundOptions = (): OutboundOptions => ({
  retryBaseMs: 60_000,
  retryMaxMs: 3_600_000,
  maxAgeMs: 5 * 86_400_000,
  tickMs: 1000,
  concurrency: 4,
  send: { resolveMx: dnsMx, mxPort: 25, timeoutMs: 30_000 },
});

/** Delivers a DSN to the sender (a local INBOX, else back through the queue). */
export type BounceSink = (to: string, dsn: Buffer) => Promise<void>;

/** The relay queue service. */
export class OutboundService {
  readonly options: OutboundOptions = defaultOutboundOptions();
  /** Set by serve.ts: where DSNs go. */
  bounce: BounceSink = async () => {};
  private readonly entries = new Map<string, QueueEntry>();
  private readonly running = new Map<string, Promise<void>>();
  /** DKIM keys per served domain, loaded or generated in the background from start(). */
  private readonly keys = new Map<string, Promise<string | null>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly files: QueueFiles;

  constructor(private readonly deps: { config: Config; log: Logger; actors: ActorRegistry }) {
    this.files = new QueueFiles(deps.actors, deps.config.mail_root);
  }

  private get root(): string {
    return this.deps.config.mail_root;
  }

  /** Load the queue from disk, start making missing DKIM keys (in the background), start the retry timer. */
  async start(): Promise<void> {
    for (const e of await this.files.load()) this.entries.set(e.id, e);
    for (const d of this.deps.config.domains) {
      this.keys.set(d, this.files.dkimKey(d, generateDkimKey).catch((err) => {
        this.deps.log.error('dkim key unavailable', { domain: d, err: err as Error });
        return null;
      }));
    }
    await takeFlushMarker(this.root);
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
    if (this.entries.size) this.deps.log.info('queue loaded', { messages: this.entries.size });
  }

  /**
   * Queue a message for remote recipients. `raw` is the message bytes, or a temp file under
   * tmpDir(mail_root) that the queue takes over. It is DKIM-signed for the sender's domain (when
   * served here) and on disk when this resolves; returns the queue id. `from` '' is a bounce.
   */
  async enqueue(from: string, recipients: string[], raw: Buffer | { file: string }): Promise<string> {
    const spool = Buffer.isBuffer(raw) ? await Spool.from(this.root, raw) : await Spool.ofFile(this.root, raw.file);
    try {
      return await this.enqueueSpool(from, recipients, spool, '');
    } finally {
      await spool.dispose();
    }
  }

  /** Queue `prefix` + a received message (the spool stays the caller's). */
  async enqueueSpool(from: string, recipients: string[], spool: Spool, prefix: string): Promise<string> {
    if (recipients.length === 0) throw new Error('enqueue: no recipients');
    const id = `${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
    const signature = await this.sign(from, spool, prefix);
    const temp = await spool.writeTo(signature + prefix, true, 'queue');
    const now = new Date().toISOString();
    const entry: QueueEntry = {
      id, from, created: now, next_attempt: now, attempts: 0, last_error: null,
      size: Buffer.byteLength(signature + prefix) + spool.size,
      recipients: [...new Set(recipients)].map((address) => ({ address, status: 'pending', error: null })),
    };
    try {
      await this.files.add(entry, temp);
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
    this.entries.set(id, entry);
    this.deps.log.info('queued', { id, recipients: entry.recipients.length, size: entry.size });
    setImmediate(() => void this.tick());
    return id;
  }

  /** The queued messages (a snapshot). */
  list(): QueueEntry[] {
    return [...this.entries.values()].map((e) => structuredClone(e));
  }

  /** Retry every queued message now; resolves when attempts in flight and those started now have finished. */
  async flush(): Promise<void> {
    await Promise.all([...this.running.values()]);
    const now = new Date().toISOString();
    for (const e of this.entries.values()) e.next_attempt = now;
    this.tick();
    await Promise.all([...this.running.values()]);
  }

  /** Stop retrying; waits (up to 5 s) for attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const wait = Promise.all([...this.running.values(), ...this.keys.values()]);
    await Promise.race([wait, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private tick(): void {
    if (this.stopped) return;
    void takeFlushMarker(this.root).then((flush) => {
      if (flush) void this.flush();
    });
    const now = Date.now();
    for (const e of this.entries.values()) {
      if (this.running.size >= this.options.concurrency) break;
      if (this.running.has(e.id) || Date.parse(e.next_attempt) > now) continue;
      const p = this.attempt(e).catch((err) => this.deps.log.error('queue attempt failed', { id: e.id, err: err as Error }))
        .finally(() => this.running.delete(e.id));
      this.running.set(e.id, p);
    }
  }

  private async sign(from: string, spool: Spool, prefix: string): Promise<string> {
    const domain = splitAddress(from)?.domain;
    const key = domain ? await this.keys.get(domain) : undefined;
    if (!domain || !key) return '';
    const input = Readable.from((async function* () {
      yield Buffer.from(prefix);
      yield* spool.stream();
    })());
    try {
      return await dkimSignatureFor(input, domain, key);
    } catch (err) {
      this.deps.log.warn('dkim signing failed', { domain, err: (err as Error).message });
      return '';
    }
  }

  /** One delivery attempt of an entry, then its new state (or its removal) on disk. */
  private async attempt(e: QueueEntry): Promise<void> {
    const pending = e.recipients.filter((r) => r.status === 'pending');
    const file = queueMessageFile(this.root, e.id);
    const results = await attemptDelivery(this.deps.config, e.from, pending.map((r) => r.address), file, this.options.send);
    const failed: FailedRecipient[] = [];
    const expired = Date.now() - Date.parse(e.created) > this.options.maxAgeMs;
    for (const res of results) {
      const r = e.recipients.find((x) => x.address === res.address)!;
      if (res.ok) {
        r.status = 'sent';
        r.error = null;
        continue;
      }
      r.error = res.error;
      if (res.permanent || expired) {
        r.status = 'failed';
        failed.push({ address: r.address, diagnostic: res.error, expired: !res.permanent });
      }
    }
    e.attempts += 1;
    const firstErr = results.find((r): r is Extract<SendResult, { ok: false }> => !r.ok);
    e.last_error = firstErr?.error ?? null;
    const delay = Math.min(this.options.retryBaseMs * 2 ** (e.attempts - 1), this.options.retryMaxMs);
    e.next_attempt = new Date(Date.now() + delay).toISOString();
    this.deps.log.info('queue attempt', {
      id: e.id, attempt: e.attempts, sent: results.filter((r) => r.ok).length, failed: failed.length,
      deferred: e.recipients.filter((r) => r.status === 'pending').length,
    });
    if (failed.length && e.from) await this.sendDsn(e, failed, file);
    const done = e.recipients.every((r) => r.status !== 'pending');
    await (done ? this.files.remove(e.id) : this.files.save(e));
    if (done) this.entries.delete(e.id);
  }

  private async sendDsn(e: QueueEntry, failed: FailedRecipient[], file: string): Promise<void> {
    const fh = await fsp.open(file, 'r');
    let head: Buffer;
    try {
      const buf = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    await this.bounceNow(e.from, failed, head, new Date(e.created));
  }

  /** Send one RFC 3464 DSN for `failed` to `to` (errors are logged: a bounce never fails a caller). */
  async bounceNow(to: string, failed: FailedRecipient[], originalHead: Buffer, arrival = new Date()): Promise<void> {
    const dsn = buildDsn({
      hostname: this.deps.config.hostname, to, arrival, failed, originalHeaders: headerBlock(originalHead),
    });
    try {
      await this.bounce(to, dsn);
      this.deps.log.info('dsn sent', { failed: failed.length });
    } catch (err) {
      this.deps.log.error('dsn delivery failed', { err: err as Error });
    }
  }
}
