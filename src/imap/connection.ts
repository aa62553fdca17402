/**
 * One IMAP connection (RFC 3501 3: not authenticated -> authenticated -> selected -> logout).
 * Invariants: commands run strictly one at a time, in order (pipelined input waits in `Input`);
 * a malformed command gets BAD and leaves the state as it was; every command's gate (states) is
 * checked here, once; change events only mark the selected folder dirty and are written at the
 * end of a command (or at once while idling); the socket is swapped in place on STARTTLS.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { ImapError, NotFoundError, ValidationError, ConflictError, QuotaError } from '../common/errors.js';
import { inTrustedNetworks, normalizeIp } from '../common/net.js';
import { IdleTimer } from '../common/idle-timer.js';
import type { Change } from '../actors/changes.js';
import type { Principal } from '../services/auth.js';
import { tmpDir } from '../store/layout.js';
import { Input } from './input.js';
import { Output } from './output.js';
import { Args, literalAtEnd, parseCommand, peekTag, type Command, type CommandPart } from './parser.js';
import { bump, type ImapContext } from './context.js';
import type { Selected } from './selected.js';
import { RecentFloors } from './recent.js';
import { COMMANDS } from './commands/index.js';
import { capabilities } from './capabilities.js';

/** Session states of RFC 3501 3. */
export type State = 'notauth' | 'auth' | 'selected' | 'logout';

/** A framing problem: answer BAD (with the tag when known) and go on. */
interface FrameError {
  error: string;
  tag: string;
  code?: string;
}

/** One client connection and its session state. */
export class Session {
  state: State = 'notauth';
  user: Principal | null = null;
  selected: Selected | null = null;
  /** Extensions turned on by ENABLE (CONDSTORE, QRESYNC) or implied (CONDSTORE by a MODSEQ fetch). */
  readonly enabled = new Set<string>();
  /** True while an IDLE command waits for DONE: updates are written at once. */
  idling = false;
  readonly ip: string;
  readonly input: Input;
  readonly out: Output;
  private socket: Socket;
  private unsubscribe: (() => void) | null = null;
  /** Autologout after `idleMs` without a line from the client. */
  private readonly idleTimer: IdleTimer;
  private tempFiles: string[] = [];
  /** Wakes an IDLE wait when an update arrives. */
  onUpdate: (() => void) | null = null;

  constructor(
    readonly ctx: ImapContext,
    socket: Socket,
    public secure: boolean,
  ) {
    this.socket = socket;
    this.ip = normalizeIp(socket.remoteAddress ?? '');
    this.input = new Input(socket);
    this.out = new Output(socket);
    this.idleTimer = new IdleTimer(ctx.limits.idleMs, () => this.autologout());
    socket.setNoDelay(true);
  }

  /** True when plaintext credentials are acceptable: TLS or a trusted network. */
  get credentialsAllowed(): boolean {
    return this.secure || inTrustedNetworks(this.ip, this.ctx.services.config.trusted_networks);
  }

  /** The authenticated user's id (`user@domain`). */
  get userId(): string {
    if (!this.user) throw new ImapError('BAD', 'Not authenticated');
    return this.user.id;
  }

  /** The selected folder (the gate already checked the state). */
  get box(): Selected {
    if (!this.selected) throw new ImapError('BAD', 'No mailbox selected');
    return this.selected;
  }

  /** The \Recent floors of this user's folders. */
  get recentFloors(): RecentFloors {
    return new RecentFloors(this.ctx.recent, this.userId);
  }

  /** CONDSTORE is on for this session (ENABLE or an implicit use). */
  get condstore(): boolean {
    return this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }

  /** Greet and serve commands until logout or disconnect. */
  async serve(): Promise<void> {
    this.idleTimer.touch();
    this.out.line(`* OK [CAPABILITY ${capabilities(this)}] rmail IMAP ready`);
    await this.out.flush();
    try {
      while (this.state !== 'logout') {
        const frame = await this.readCommand();
        if (frame === null) break;
        if ('error' in frame) {
          this.out.line(`${frame.tag} BAD ${frame.code ? `[${frame.code}] ` : ''}${frame.error}`);
        } else {
          await this.execute(frame);
        }
        if (this.tempFiles.length > 0) await this.cleanupTemp();
        await this.out.flush();
      }
    } finally {
      await this.close();
    }
  }

  private autologout(): void {
    this.out.line('* BYE Autologout; idle for too long');
    void this.out.flush().finally(() => this.socket.destroy());
  }

  /** Read one line from the client (for AUTHENTICATE continuations and IDLE's DONE). */
  async readLine(): Promise<Buffer | null> {
    const line = await this.input.line(this.ctx.limits.maxLine);
    this.idleTimer.touch();
    if (line === 'toolong') return Buffer.from('*');
    return line;
  }

  /** Frame one command: its line pieces and literals (APPEND literals go to temp files). */
  private async readCommand(): Promise<CommandPart[] | FrameError | null> {
    const { limits, services } = this.ctx;
    const parts: CommandPart[] = [];
    let total = 0;
    for (;;) {
      const line = await this.input.line(limits.maxLine);
      this.idleTimer.touch();
      if (line === null) return null;
      if (line === 'toolong') return { error: 'Command line too long', tag: parts.length ? peekTag((parts[0] as { data: Buffer }).data) : '*' };
      if (parts.length === 0 && line.length === 0) continue;
      parts.push({ kind: 'line', data: line });
      const lit = literalAtEnd(line);
      if (!lit) return parts;
      const first = (parts[0] as { data: Buffer }).data;
      const tag = peekTag(first);
      const isAppend = /^\S+ (UID )?APPEND /i.test(first.subarray(0, 100).toString('latin1'));
      const max = isAppend ? services.config.smtp.max_message_bytes : limits.maxLiteral;
      total += lit.size;
      if (lit.size > max || total > max * 2) {
        if (lit.plus) {
          this.out.line(`* BYE [TOOBIG] Literal too large`);
          this.state = 'logout';
          return null;
        }
        return { error: 'Literal too large', tag, code: 'TOOBIG' };
      }
      if (!lit.plus) {
        this.out.line('+ Ready for literal data');
        await this.out.flush();
      }
      if (isAppend && lit.size > 64 * 1024) {
        const path = join(tmpDir(services.config.mail_root), `imap-${randomBytes(8).toString('hex')}.eml`);
        this.tempFiles.push(path);
        const fh = await fsp.open(path, 'w', 0o600);
        try {
          if (!(await this.input.toFile(lit.size, fh))) return null;
        } finally {
          await fh.close();
        }
        parts.push({ kind: 'file', path, size: lit.size });
      } else {
        const data = await this.input.bytes(lit.size);
        if (data === null) return null;
        parts.push({ kind: 'literal', data });
      }
    }
  }

  private async cleanupTemp(): Promise<void> {
    if (this.tempFiles.length === 0) return;
    const files = this.tempFiles;
    this.tempFiles = [];
    await Promise.all(files.map((f) => fsp.rm(f, { force: true })));
  }

  /** Parse, gate and run one command; map every error to a tagged NO / BAD. */
  private async execute(parts: CommandPart[]): Promise<void> {
    if (this.selected?.deleted) {
      this.byeDeleted();
      return;
    }
    let cmd: Command;
    try {
      cmd = parseCommand(parts);
    } catch (err) {
      const tag = peekTag((parts[0] as { data: Buffer }).data);
      this.out.line(`${tag} BAD ${err instanceof ImapError ? err.message : 'Syntax error'}`);
      return;
    }
    const spec = COMMANDS.get(cmd.name);
    if (!spec) {
      this.out.line(`${cmd.tag} BAD Unknown command ${cmd.name.slice(0, 30)}`);
      return;
    }
    if (!spec.states.includes(this.state)) {
      const why = this.state === 'notauth' ? 'Log in first'
        : spec.states.includes('notauth') ? 'Already authenticated'
        : 'Select a mailbox first';
      this.out.line(`${cmd.tag} BAD ${why}`);
      return;
    }
    let result: string | void | null;
    try {
      result = await spec.run(this, new Args(cmd.args), cmd);
    } catch (err) {
      this.sendUpdates(!spec.noExpunge);
      this.out.line(`${cmd.tag} ${this.errorText(err, cmd)}`);
      return;
    }
    if (result === null) return;
    if (this.state !== 'logout') this.sendUpdates(!spec.noExpunge);
    this.out.line(`${cmd.tag} OK ${result ?? `${cmd.name} completed`}`);
  }

  private errorText(err: unknown, cmd: Command): string {
    if (err instanceof ImapError) return `${err.kind} ${err.code ? `[${err.code}] ` : ''}${err.message}`;
    if (err instanceof NotFoundError) return `NO [NONEXISTENT] ${err.message}`;
    if (err instanceof ConflictError) return `NO [ALREADYEXISTS] ${err.message}`;
    if (err instanceof QuotaError) return `NO [OVERQUOTA] ${err.message}`;
    if (err instanceof ValidationError) return `NO [CANNOT] ${err.message}`;
    this.ctx.services.log.error('imap command failed', { command: cmd.name, err: err as Error });
    return 'NO [SERVERBUG] Internal error';
  }

  /** Write pending untagged updates of the selected folder. */
  sendUpdates(expunges: boolean): void {
    const box = this.selected;
    if (!box || !box.dirty) return;
    box.flushUpdates(this.out, expunges, this.enabled.has('QRESYNC'), this.condstore);
  }

  /** After a successful authentication: move to `auth`, count the session, listen to changes. */
  login(p: Principal): void {
    const n = bump(this.ctx.perUser, p.id, 1);
    if (n > this.ctx.limits.perUser) {
      bump(this.ctx.perUser, p.id, -1);
      throw new ImapError('NO', 'Too many connections for this user', 'LIMIT');
    }
    this.user = p;
    this.state = 'auth';
    this.unsubscribe = this.ctx.services.changes.subscribe(p.id, (c) => this.onChange(c));
  }

  private onChange(c: Change): void {
    const box = this.selected;
    if (!box) return;
    if (c.type === 'folder-renamed') {
      if (c.folder === box.name) box.name = c.to;
      else if (box.name.startsWith(`${c.folder}/`)) box.name = c.to + box.name.slice(c.folder.length);
      return;
    }
    if (!('folder' in c) || c.folder !== box.name) return;
    if (c.type === 'folder-deleted') {
      box.deleted = true;
      if (this.idling) {
        this.byeDeleted();
        void this.out.flush().finally(() => this.socket.destroy());
      }
      return;
    }
    if (c.type === 'message-added') box.pendingAdds = true;
    else if (c.type === 'flags-changed') box.pendingFlags.add(c.uid);
    else if (c.type === 'expunged') for (const u of c.uids) box.pendingExpunged.add(u);
    else return;
    this.onUpdate?.();
  }

  /**
   * The selected folder is gone: no command can go on in it and the client has no other way to
   * learn it, so the session ends (Dovecot and WildDuck do the same).
   */
  private byeDeleted(): void {
    this.out.line('* BYE Selected mailbox was deleted, have to disconnect');
    this.state = 'logout';
  }

  /**
   * Answer `okLine` and upgrade the connection to TLS in place (STARTTLS, RFC 3501 6.2.1). The
   * plaintext reader is detached before the OK goes out, so the client's first handshake bytes
   * reach TLS and nothing sent in plaintext leaks into the secure session.
   */
  async startTls(okLine: string): Promise<void> {
    const plain = this.socket;
    this.input.detach();
    this.input.discard();
    await this.out.flush();
    plain.write(`${okLine}\r\n`);
    const tls = new TLSSocket(plain, { isServer: true, secureContext: this.ctx.tls });
    this.socket = tls;
    this.input.attach(tls);
    this.out.attach(tls);
    await new Promise<void>((resolve, reject) => {
      tls.once('secure', resolve);
      tls.once('error', reject);
      tls.once('close', () => reject(new Error('closed during TLS handshake')));
    });
    tls.on('error', () => tls.destroy());
    this.secure = true;
  }

  /** Release everything: timers, subscriptions, counters, temp files, the socket. */
  async close(): Promise<void> {
    this.idleTimer.cancel();
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.user) {
      bump(this.ctx.perUser, this.user.id, -1);
      this.user = null;
    }
    this.state = 'logout';
    await this.out.flush().catch(() => {});
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    await this.cleanupTemp();
  }
}
