/**
 * Crash-injection harness (issue 9): the real server as a child process (`dist/main/cli.js
 * serve`), a mixed write load over SMTP (nodemailer), IMAP (imapflow: APPEND, STORE, MOVE,
 * EXPUNGE), the JSON API (append, flags, delete), CalDAV (PUT/DELETE) and Drive (PUT/MOVE/DELETE),
 * `kill -9` at a random moment, restart, and a check that every acknowledged write is there
 * exactly once, nothing unacknowledged is half-visible, UIDs never go backwards and
 * `verifyMailRoot` finds no index that disagrees with its files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { CLI } from '../helpers/spawn.js';
import { main } from '../../src/main/cli.js';
import { verifyMailRoot } from '../../src/main/verify.js';
import { Model, flagKey, type MsgModel, type ItemModel } from './model.js';
import { StuckError } from './watchdog.js';

export const USERS = { alice: 'alice@example.com', bob: 'bob@example.com', carol: 'carol@example.com' } as const;
const PW = 'pw-crash';
const hash = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex').slice(0, 16);
const pick = <T>(a: T[]): T | undefined => a[Math.floor(Math.random() * a.length)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Above this many settled messages in a folder the load deletes more than it adds (bounded folders, bounded restarts). */
const FOLDER_CAP = 300;
/** Budget of one HTTP request (headers and body). */
const REQUEST_MS = 15_000;
/** Budget of the server start (listeners up) and of the process exit after SIGKILL. */
export const START_MS = 60_000;
export const EXIT_MS = 10_000;
/** After the kill, how long the cut operations get to notice before the round goes on. */
const SETTLE_MS = 3_000;

/** A running child server. */
export interface Child {
  proc: ChildProcess;
  ports: Record<string, number>;
  stderr: () => string;
  /** /proc start time of the pid (tells the child from a later process that reuses its pid). */
  startTicks: string;
  /** Gone, but Node never emitted 'exit' for it (seen through /proc). */
  lostExit?: boolean;
}

/** Write the config and create the users (through the CLI code, as an operator would). */
export async function prepare(dir: string): Promise<string> {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({
    mail_root: join(dir, 'store'), domains: ['example.com'], listen_host: '127.0.0.1', hostname: 'localhost',
    http: { port: 0, tls: false }, imap: { port: 0, tls_port: null }, smtp: { port: 0, submission_port: null, submissions_port: null },
    exchange_api: { token_secret: 'ab'.repeat(32) }, workers: { threads: 1 }, log: { level: 'info', requests: false },
  }));
  const quiet = console.log;
  console.log = () => {};
  try {
    for (const u of Object.values(USERS)) if ((await main(['user', 'add', u, '--password', PW, '--config', file])) !== 0) throw new Error(`cannot add ${u}`);
  } finally {
    console.log = quiet;
  }
  return file;
}

/**
 * Start `rmail serve` and wait for the HTTP, IMAP and SMTP listeners (at most START_MS; a server
 * that does not come up is killed, not left behind). `onSpawn` gets the child first.
 */
export function startChild(config: string, onSpawn: (proc: ChildProcess) => void = () => {}): Promise<Child> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn(proc);
  const startTicks = procStat(proc.pid!)?.start ?? '';
  const ports: Record<string, number> = {};
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new StuckError(`server start (listening on ${Object.keys(ports).join(',') || 'nothing'} so far; stderr: ${err.slice(-600)})`, START_MS));
    }, START_MS);
    proc.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`server exited ${code ?? signal} while starting: ${err.slice(-1500)}`)); });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; service?: string; port?: number };
        if (j.msg === 'listening' && j.service && j.port) ports[j.service] = j.port;
      } catch { /* not JSON */ }
      if (ports.http && ports.imap && ports.smtp) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolve({ proc, ports, stderr: () => err, startTicks });
      }
    });
  });
}

/**
 * SIGKILL and wait for the process to be gone: its 'exit' event, or /proc showing it reaped or a
 * zombie (its files and locks are released then). Node does not always deliver 'exit' for a
 * SIGKILLed child: the long runs hung here, waiting for an event that never came although the
 * process was long gone (issue 9). A child whose exit was seen only through /proc is unref'd so
 * its handle does not keep the harness alive. A killed process exits only once its threads leave
 * the kernel (an fsync on a loaded disk can hold one for seconds): past EXIT_MS each thread's state
 * is logged, and past 6 x EXIT_MS the step fails with it.
 */
export async function kill9(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGKILL');
  const t0 = Date.now();
  let logged = false;
  for (;;) {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
    if (goneInProc(c)) {
      // Give a late 'exit' a moment, then stop waiting for it.
      await sleep(500);
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.lostExit = true;
        c.proc.stdout?.destroy();
        c.proc.stderr?.destroy();
        c.proc.unref();
      }
      return;
    }
    const waited = Date.now() - t0;
    if (waited > EXIT_MS && !logged) {
      logged = true;
      console.error(`crash harness: server pid ${c.proc.pid} not gone ${EXIT_MS} ms after SIGKILL: ${threadStates(c.proc.pid!)}`);
    }
    if (waited > 6 * EXIT_MS) throw new StuckError(`exit of server pid ${c.proc.pid} after SIGKILL (threads: ${threadStates(c.proc.pid!)})`, 6 * EXIT_MS);
    await sleep(50);
  }
}

/** The start time (clock ticks since boot, /proc/PID/stat field 22) and state of a process; null when there is none. */
function procStat(pid: number): { start: string; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, start: rest[19]! };
  } catch {
    return null;
  }
}

/** True when the child's pid is reaped, reused by another process, or a zombie. */
function goneInProc(c: Child): boolean {
  const now = procStat(c.proc.pid!);
  return now === null || now.start !== c.startTicks || now.state === 'Z' || now.state === 'X';
}

/** `tid(comm):state:wchan` of each thread of `pid` (from /proc), for a process that will not go away. */
function threadStates(pid: number): string {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      const st = procStat(Number(tid));
      let wchan = '';
      try { wchan = readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8'); } catch { /* not readable */ }
      let comm = '';
      try { comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(); } catch { /* gone */ }
      return `${tid}(${comm}):${st?.state ?? '?'}:${wchan || '-'}`;
    }).join(' ');
  } catch (err) {
    return `no /proc entry (${(err as NodeJS.ErrnoException).code})`;
  }
}

/** A promise that SIGKILLs `c` after `ms` and resolves once it is gone (or the wait failed loudly). */
export function killAfter(c: Child, ms: number): { stop: Promise<void>; failed: () => Error | null } {
  let error: Error | null = null;
  const stop = new Promise<void>((resolve) => setTimeout(() => {
    kill9(c).catch((err: Error) => (error = err)).finally(resolve);
  }, ms));
  return { stop, failed: () => error };
}

async function api(base: string, token: string | null, method: string, path: string, body?: string | Buffer | object, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any }> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = token.startsWith('Basic ') ? token : `Bearer ${token}`;
  let b: string | Buffer | undefined;
  if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
    b = JSON.stringify(body);
    h['content-type'] = 'application/json';
  } else b = body as string | Buffer | undefined;
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, { method, headers: h, body: b as BodyInit | undefined, signal: AbortSignal.timeout(REQUEST_MS) });
    text = await res.text();
  } catch (err) {
    // Name the request: "fetch failed" alone says nothing about which step broke.
    const cause = (err as Error).cause as Error | undefined;
    throw new Error(`${method} ${path}: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  }
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json };
}

const BASIC = `Basic ${Buffer.from(`${USERS.carol}:${PW}`).toString('base64')}`;
const rfc822 = (token: string, to: string) => `From: crash@example.org\r\nTo: ${to}\r\nSubject: ${token}\r\nMessage-ID: <${token}@crash>\r\n\r\nbody of ${token}\r\n`;
const ics = (name: string, v: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crash//EN\r\nBEGIN:VEVENT\r\nUID:${name}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:${v}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

/**
 * One write: mark busy, run, then either collapse to the acknowledged state or leave both.
 * `run` returns true when acknowledged, or throws / returns false (counted under `op` and why).
 */
async function write<T extends { busy: boolean; owner?: object }>(model: Model, op: string, m: T, run: () => Promise<boolean>, onAck: () => void): Promise<void> {
  const owner = model.begin(m);
  let why = 'refused';
  let ok = false;
  try {
    ok = await run();
  } catch (err) {
    why = (err as Error).message.replace(/^[A-Z]+ \/\S*: /, '').replace(/\d+/g, 'N').slice(0, 60);
  }
  if (ok) {
    model.ack();
    onAck();
  } else model.unacked(`${op}: ${why}`);
  model.end(m, owner);
}

/** True when `res` has one of `codes`; else throws naming the status (an unacknowledged write, counted by why). */
function acked(res: { status: number; text: string }, codes: number[]): boolean {
  if (codes.includes(res.status)) return true;
  throw new Error(`status ${res.status} ${res.text.slice(0, 40)}`);
}

/**
 * Run the mixed load until `stop` resolves, then give the cut operations SETTLE_MS to notice and
 * return (operations still pending then stay unacknowledged; their late settling cannot clear a
 * newer write's busy mark, see Model.end).
 */
export async function load(model: Model, c: Child, stop: Promise<void>): Promise<void> {
  const base = `http://127.0.0.1:${c.ports.http}`;
  let stopped = false;
  // No new operation once SIGKILL is sent (not only once the process is gone): against a dead
  // server they all fail at once and only add noise to the unacknowledged count.
  const live = () => !stopped && !c.proc.killed;
  const clients = new Set<ImapFlow>();
  // After the kill, drop IMAP clients at once: an imapflow call on a dead socket can wait forever.
  void stop.then(() => {
    stopped = true;
    for (const im of clients) im.close();
  });
  // The JWT secret is fixed in the config, so one token lasts across restarts (no scrypt per round).
  const aliceToken = await login(base, USERS.alice).catch(() => null);
  const carolToken = await login(base, USERS.carol).catch(() => null);
  const loops: Promise<void>[] = [];
  // Operations cut by an earlier kill may never settle: nothing of theirs can still be acknowledged.
  for (const m of [...model.msgs.values(), ...model.events.values(), ...model.files.values()]) {
    m.busy = false;
    m.owner = undefined;
  }
  const loop = (fn: () => Promise<void>) => loops.push((async () => {
    while (live()) {
      try { await fn(); } catch { await sleep(5); }
      await sleep(0); // an op that returns at once must not starve the timers (the kill, fetch timeouts)
    }
  })());

  // SMTP deliveries to alice's INBOX.
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: c.ports.smtp!, secure: false, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000 });
  for (let i = 0; i < 2; i++) loop(async () => {
    if (model.settledIn(USERS.alice, 'INBOX').length > FOLDER_CAP) return void (await sleep(50));
    const token = model.token('s');
    const m: MsgModel = { user: USERS.alice, token, where: new Set(['gone', 'INBOX']), flags: new Set(['']), busy: false };
    model.msgs.set(token, m);
    await write(model, 'smtp deliver', m, async () => /^250/.test((await mx.sendMail({ envelope: { from: 'crash@example.org', to: [USERS.alice] }, raw: rfc822(token, USERS.alice) })).response),
      () => (m.where = new Set(['INBOX'])));
  });

  // IMAP as bob: APPEND, STORE, MOVE, EXPUNGE.
  loop(async () => {
    const im = new ImapFlow({ host: '127.0.0.1', port: c.ports.imap!, secure: false, auth: { user: USERS.bob, pass: PW }, logger: false, disableAutoIdle: true, tls: { rejectUnauthorized: false },
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 10_000 } as ConstructorParameters<typeof ImapFlow>[0]);
    im.on('error', () => {});
    clients.add(im);
    try {
      await im.connect();
      // A dead connection makes every call fail at once: leave (the outer loop reconnects) and yield.
      while (live() && im.usable) {
        await imapOp(model, im);
        await sleep(0);
      }
    } finally {
      clients.delete(im);
      im.close();
    }
  });

  // JSON API as carol: append, flags, delete; as alice: flags and delete (keeps her INBOX bounded).
  if (carolToken) loop(() => apiOp(model, base, carolToken, USERS.carol, true));
  if (aliceToken) loop(() => apiOp(model, base, aliceToken, USERS.alice, false));

  // CalDAV PUT/DELETE and Drive PUT/MOVE/DELETE as carol.
  loop(() => itemOp(model, model.events, 'ev', base, 5, (k, v) => api(base, BASIC, 'PUT', `/caldav/carol/calendars/default/${k}.ics`, ics(k, v), { 'content-type': 'text/calendar' }),
    (k) => api(base, BASIC, 'DELETE', `/caldav/carol/calendars/default/${k}.ics`), (v, k) => ics(k, v)));
  loop(() => itemOp(model, model.files, 'f', base, 6, (k, v) => api(base, BASIC, 'PUT', `/drive/crash/${k}.txt`, v),
    (k) => api(base, BASIC, 'DELETE', `/drive/crash/${k}.txt`), (v) => v, true));

  await stop;
  await Promise.race([Promise.allSettled(loops), sleep(SETTLE_MS)]);
  mx.close();
}

/** One JSON API write as `user` in INBOX: append (when `appends`), flag change or delete. */
async function apiOp(model: Model, base: string, token: string, user: string, appends: boolean): Promise<void> {
  const mine = model.settledIn(user, 'INBOX');
  const target = pick(mine);
  const full = mine.length > FOLDER_CAP;
  const r = Math.random();
  if (appends && (r < (full ? 0.1 : 0.5) || !target)) {
    const tok = model.token('a');
    const m: MsgModel = { user, token: tok, where: new Set(['gone', 'INBOX']), flags: new Set(['']), busy: false };
    model.msgs.set(tok, m);
    await write(model, 'api append', m, async () => {
      const res = await api(base, token, 'POST', '/folders/INBOX/messages', rfc822(tok, user), { 'content-type': 'message/rfc822' });
      acked(res, [201]);
      if (!model.seeUid(m.user, 'INBOX', res.json.uid, true)) model.violation(`API append ${tok}: uid ${res.json.uid} not above ${model.maxUid.get(`${m.user}/INBOX`)}`);
      m.uid = res.json.uid;
      return true;
    }, () => { m.where = new Set(['INBOX']); m.flags = new Set(['']); });
  } else if (!target) {
    await sleep(50);
  } else if (r < (full ? 0.5 : 0.8)) {
    const flags = Math.random() < 0.5 ? ['\\Seen'] : ['\\Seen', '\\Flagged'];
    const prev = new Set(target.flags);
    target.flags = new Set([...prev, flagKey(flags)]);
    await write(model, 'api flags', target, async () => acked(await api(base, token, 'PATCH', `/folders/INBOX/messages/${target.uid}/flags`, { flags }), [200]),
      () => (target.flags = new Set([flagKey(flags)])));
  } else {
    target.where = new Set(['INBOX', 'gone']);
    await write(model, 'api delete', target, async () => acked(await api(base, token, 'DELETE', `/folders/INBOX/messages/${target.uid}`), [200, 204]),
      () => (target.where = new Set(['gone'])));
  }
}

const tokenCache = new Map<string, { token: string; until: number }>();

/**
 * A JWT for `user`, cached (the secret is fixed in the config, so it outlives restarts) until
 * half its lifetime is gone: the long runs outlast the token's TTL (a 500-kill run got 401s
 * for its last rounds, and a check failed on them).
 */
async function login(base: string, user: string): Promise<string> {
  const cached = tokenCache.get(user);
  if (cached && Date.now() < cached.until) return cached.token;
  const r = await api(base, null, 'POST', '/auth/login', { username: user, password: PW });
  if (r.status !== 200) throw new Error(`login ${r.status}`);
  const ttl = Number(r.json.expires_in) || 600;
  tokenCache.set(user, { token: r.json.token as string, until: Date.now() + (ttl * 1000) / 2 });
  return r.json.token as string;
}

async function imapOp(model: Model, im: ImapFlow): Promise<void> {
  const bobs = [...model.msgs.values()].filter((m) => m.user === USERS.bob && !m.busy && m.where.size === 1 && !m.where.has('gone') && m.uid);
  const r = Math.random();
  const target = pick(bobs);
  if (r < (bobs.length > FOLDER_CAP ? 0.15 : 0.45) || !target) {
    const token = model.token('i');
    const m: MsgModel = { user: USERS.bob, token, where: new Set(['gone', 'INBOX']), flags: new Set(['']), busy: false };
    model.msgs.set(token, m);
    await write(model, 'imap append', m, async () => {
      const res = await im.append('INBOX', rfc822(token, USERS.bob), []);
      if (!res || !res.uid) return false;
      if (res.uidValidity && model.uidValidity.get(`${m.user}/INBOX`) !== undefined && BigInt(model.uidValidity.get(`${m.user}/INBOX`)!) !== BigInt(res.uidValidity)) {
        model.violation(`UIDVALIDITY of bob/INBOX changed`);
      }
      if (res.uidValidity) model.uidValidity.set(`${m.user}/INBOX`, Number(res.uidValidity));
      if (!model.seeUid(m.user, 'INBOX', res.uid, true)) model.violation(`IMAP APPEND ${token}: uid ${res.uid} not above ${model.maxUid.get(`${m.user}/INBOX`)}`);
      m.uid = res.uid;
      return true;
    }, () => { m.where = new Set(['INBOX']); m.flags = new Set(['']); });
    return;
  }
  const from = [...target.where][0]!;
  const lock = await im.getMailboxLock(from);
  try {
    if (r < 0.65) {
      const prev = new Set(target.flags);
      target.flags = new Set([...prev, '']);
      await write(model, 'imap store', target, async () => !!(await im.messageFlagsAdd(String(target.uid), ['\\Flagged'], { uid: true })), () => (target.flags = new Set([''])));
    } else if (r < 0.85) {
      const to = from === 'INBOX' ? 'Archive' : 'INBOX';
      target.where = new Set([from, to]);
      await write(model, 'imap move', target, async () => {
        const res = await im.messageMove(String(target.uid), to, { uid: true });
        const newUid = res && res.uidMap ? res.uidMap.get(target.uid!) : undefined;
        if (!newUid) return false;
        if (!model.seeUid(target.user, to, newUid, true)) model.violation(`MOVE ${target.token}: uid ${newUid} not above ${model.maxUid.get(`${target.user}/${to}`)}`);
        target.uid = newUid;
        return true;
      }, () => (target.where = new Set([to])));
      if (target.where.size > 1) target.uid = undefined;
    } else {
      target.where = new Set([from, 'gone']);
      await write(model, 'imap expunge', target, async () => !!(await im.messageDelete(String(target.uid), { uid: true })), () => (target.where = new Set(['gone'])));
    }
  } finally {
    lock.release();
  }
}

/** PUT (new version), MOVE (files only) or DELETE one of `slots` keys. */
async function itemOp(model: Model, items: Map<string, ItemModel>, prefix: string, base: string, slots: number,
  put: (k: string, v: string) => Promise<{ status: number; text: string }>, del: (k: string) => Promise<{ status: number; text: string }>, body: (v: string, k: string) => string, movable = false): Promise<void> {
  const key = `${prefix}${Math.floor(Math.random() * slots)}`;
  const it: ItemModel = items.get(key) ?? { key, contents: new Set(['']), busy: false };
  items.set(key, it);
  if (it.busy) return;
  const r = Math.random();
  if (r < 0.6 || it.contents.has('') && it.contents.size === 1) {
    const v = model.token(prefix);
    const h = hash(body(v, key));
    it.contents.add(h);
    (it.pending ??= []).push(`put ${h}`);
    await write(model, `${prefix} put`, it, async () => acked(await put(key, v), [200, 201, 204]), () => { it.contents = new Set([h]); it.pending = []; });
  } else if (movable && r < 0.8 && it.contents.size === 1) {
    const dstKey = `${prefix}${Math.floor(Math.random() * slots)}`;
    const dst: ItemModel = items.get(dstKey) ?? { key: dstKey, contents: new Set(['']), busy: false };
    items.set(dstKey, dst);
    if (dst === it || dst.busy) return;
    const h = [...it.contents][0]!;
    it.contents.add('');
    dst.contents.add(h);
    (it.pending ??= []).push(`move to ${dstKey}`);
    (dst.pending ??= []).push(`move from ${key} (${h}) over it`);
    const dstOwner = model.begin(dst);
    await write(model, `${prefix} move`, it, async () => acked(await api(base, BASIC, 'MOVE', `/drive/crash/${key}.txt`, undefined, { destination: `/drive/crash/${dstKey}.txt`, overwrite: 'T' }), [201, 204]),
      () => { it.contents = new Set(['']); dst.contents = new Set([h]); it.pending = []; dst.pending = []; });
    model.end(dst, dstOwner);
  } else {
    it.contents.add('');
    (it.pending ??= []).push('delete');
    await write(model, `${prefix} delete`, it, async () => acked(await del(key), [200, 204]), () => { it.contents = new Set(['']); it.pending = []; });
  }
}

/** After a restart: compare what the server shows with the model, then collapse the model to it. */
export async function check(model: Model, c: Child, root: string): Promise<void> {
  const base = `http://127.0.0.1:${c.ports.http}`;
  const bad = (s: string) => model.violation(s);
  for (const user of Object.values(USERS)) {
    const token = await login(base, user);
    const seen = new Map<string, { folder: string; uid: number; flags: string }[]>();
    const folders = (await api(base, token, 'GET', '/folders')).json.folders as { name: string }[];
    for (const f of folders) {
      for (const m of await listFolder(base, token, f.name)) {
        const arr = seen.get(m.subject) ?? [];
        arr.push({ folder: f.name, uid: m.uid, flags: flagKey(m.flags) });
        seen.set(m.subject, arr);
        model.seeUid(user, f.name, m.uid, false);
      }
    }
    for (const m of model.msgs.values()) {
      if (m.user !== user) continue;
      const got = seen.get(m.token) ?? [];
      if (got.length > 1) bad(`${m.token} visible ${got.length} times (${got.map((g) => g.folder).join(',')})`);
      const at = got[0];
      if (!at) {
        if (!m.where.has('gone')) model.lost(`${user}: ${m.token} acknowledged in ${[...m.where]} but missing`);
        model.msgs.delete(m.token);
        continue;
      }
      if (!m.where.has(at.folder)) bad(`${m.token} in ${at.folder}, expected ${[...m.where]}`);
      if (m.uid && m.where.size === 1 && m.where.has(at.folder) && at.uid !== m.uid) bad(`${m.token} uid changed ${m.uid} -> ${at.uid}`);
      if (!m.flags.has('') && !m.flags.has(at.flags)) model.lost(`${m.token} flags "${at.flags}", expected one of ${[...m.flags].map((f) => `"${f}"`)}`);
      m.where = new Set([at.folder]);
      m.uid = at.uid;
      m.flags = new Set([m.flags.has('') ? '' : at.flags]);
    }
  }
  // Events and files: each is absent or holds one of its possible contents. A GET the restarted
  // server cuts is a violation of that item; the check goes on with the others.
  const contentOf = async (path: string): Promise<string> => {
    try {
      const r = await api(base, BASIC, 'GET', path);
      return r.status === 200 ? hash(r.text) : r.status === 404 ? '' : `status ${r.status}`;
    } catch (err) {
      return `unreadable (${(err as Error).message})`;
    }
  };
  const compare = (what: string, it: ItemModel, h: string) => {
    if (!it.contents.has(h)) {
      const msg = `${what}: ${h || 'absent'}, expected ${[...it.contents].map((x) => x || 'absent')}${it.pending?.length ? ` (cut by the kill: ${it.pending.join(', ')})` : ''}`;
      if (h === '') model.lost(msg);
      else bad(msg);
    }
    it.contents = new Set([h]);
    it.pending = [];
  };
  for (const it of model.events.values()) compare(`event ${it.key}`, it, await contentOf(`/caldav/carol/calendars/default/${it.key}.ics`));
  const listing = await api(base, BASIC, 'GET', '/drive/crash');
  const names = new Set(listing.status === 200 ? (listing.json.children as { name: string }[]).map((ch) => ch.name) : []);
  for (const it of model.files.values()) {
    const h = await contentOf(`/drive/crash/${it.key}.txt`);
    if ((h !== '') !== names.has(`${it.key}.txt`)) bad(`file ${it.key}: listing and GET disagree`);
    compare(`file ${it.key}`, it, h);
  }
  const v = await verifyMailRoot(root);
  for (const i of v.issues) if (i.level === 'error') bad(`verify: ${i.where}: ${i.what}`);
}

/** Every message of a folder, page by page (the API returns at most 1000 per request). */
async function listFolder(base: string, token: string, folder: string): Promise<{ uid: number; subject: string; flags: string[] }[]> {
  const out: { uid: number; subject: string; flags: string[] }[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api(base, token, 'GET', `/folders/${encodeURIComponent(folder)}/messages?limit=1000&offset=${offset}`);
    if (page.status !== 200) throw new Error(`GET ${folder} messages: ${page.status} ${page.text.slice(0, 200)}`);
    out.push(...(page.json.messages as typeof out));
    if (offset + 1000 >= (page.json.total as number)) return out;
  }
}
