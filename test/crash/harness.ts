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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { CLI } from '../helpers/spawn.js';
import { main } from '../../src/main/cli.js';
import { verifyMailRoot } from '../../src/main/verify.js';
import { Model, flagKey, type MsgModel, type ItemModel } from './model.js';

export const USERS = { alice: 'alice@example.com', bob: 'bob@example.com', carol: 'carol@example.com' } as const;
const PW = 'pw-crash';
const hash = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex').slice(0, 16);
const pick = <T>(a: T[]): T | undefined => a[Math.floor(Math.random() * a.length)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running child server. */
export interface Child { proc: ChildProcess; ports: Record<string, number>; stderr: () => string }

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

/** Start `rmail serve` and wait for the HTTP, IMAP and SMTP listeners. */
export function startChild(config: string): Promise<Child> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports: Record<string, number> = {};
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${err}`)); });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; service?: string; port?: number };
        if (j.msg === 'listening' && j.service && j.port) ports[j.service] = j.port;
      } catch { /* not JSON */ }
      if (ports.http && ports.imap && ports.smtp) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolve({ proc, ports, stderr: () => err });
      }
    });
  });
}

/** SIGKILL and wait for the process to be gone. */
export async function kill9(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const gone = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGKILL');
  await gone;
}

async function api(base: string, token: string | null, method: string, path: string, body?: string | Buffer | object, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any }> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = token.startsWith('Basic ') ? token : `Bearer ${token}`;
  let b: string | Buffer | undefined;
  if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
    b = JSON.stringify(body);
    h['content-type'] = 'application/json';
  } else b = body as string | Buffer | undefined;
  const res = await fetch(`${base}${path}`, { method, headers: h, body: b, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json };
}

const BASIC = `Basic ${Buffer.from(`${USERS.carol}:${PW}`).toString('base64')}`;
const rfc822 = (token: string, to: string) => `From: crash@example.org\r\nTo: ${to}\r\nSubject: ${token}\r\nMessage-ID: <${token}@crash>\r\n\r\nbody of ${token}\r\n`;
const ics = (name: string, v: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crash//EN\r\nBEGIN:VEVENT\r\nUID:${name}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:${v}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

/** One write: mark busy, run, then either collapse to the acknowledged state or leave both. */
async function write<T extends { busy: boolean }>(model: Model, m: T, run: () => Promise<boolean>, onAck: () => void): Promise<void> {
  model.begin(m);
  let ok = false;
  try {
    ok = await run();
  } catch {
    ok = false;
  }
  if (ok) {
    model.ack();
    onAck();
  } else model.unacked();
  m.busy = false;
}

/** Run the mixed load until `stop` resolves; returns when every started operation settled. */
export async function load(model: Model, c: Child, stop: Promise<void>): Promise<void> {
  const base = `http://127.0.0.1:${c.ports.http}`;
  let stopped = false;
  const clients = new Set<ImapFlow>();
  // After the kill, drop IMAP clients at once: an imapflow call on a dead socket can wait forever.
  void stop.then(() => {
    stopped = true;
    for (const im of clients) im.close();
  });
  // The JWT secret is fixed in the config, so one token lasts across restarts (no scrypt per round).
  carolTokenCache ??= await login(base, USERS.carol).catch(() => null);
  const carolToken = carolTokenCache;
  const loops: Promise<void>[] = [];
  // Operations cut by an earlier kill may never settle: nothing of theirs can still be acknowledged.
  for (const m of [...model.msgs.values(), ...model.events.values(), ...model.files.values()]) m.busy = false;
  const loop = (fn: () => Promise<void>) => loops.push((async () => {
    while (!stopped) {
      try { await fn(); } catch { await sleep(5); }
      await sleep(0); // an op that returns at once must not starve the timers (the kill, fetch timeouts)
    }
  })());

  // SMTP deliveries to alice's INBOX.
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: c.ports.smtp!, secure: false, ignoreTLS: true, connectionTimeout: 5000, socketTimeout: 10_000 });
  for (let i = 0; i < 2; i++) loop(async () => {
    const token = model.token('s');
    const m: MsgModel = { user: USERS.alice, token, where: new Set(['gone', 'INBOX']), flags: new Set(['']), busy: false };
    model.msgs.set(token, m);
    await write(model, m, async () => /^250/.test((await mx.sendMail({ envelope: { from: 'crash@example.org', to: [USERS.alice] }, raw: rfc822(token, USERS.alice) })).response),
      () => (m.where = new Set(['INBOX'])));
  });

  // IMAP as bob: APPEND, STORE, MOVE, EXPUNGE.
  loop(async () => {
    const im = new ImapFlow({ host: '127.0.0.1', port: c.ports.imap!, secure: false, auth: { user: USERS.bob, pass: PW }, logger: false, disableAutoIdle: true, tls: { rejectUnauthorized: false }, socketTimeout: 10_000 } as ConstructorParameters<typeof ImapFlow>[0]);
    im.on('error', () => {});
    clients.add(im);
    await im.connect();
    try {
      // A dead connection makes every call fail at once: leave (the outer loop reconnects) and yield.
      while (!stopped && im.usable) {
        await imapOp(model, im);
        await sleep(0);
      }
    } finally {
      clients.delete(im);
      im.close();
    }
  });

  // JSON API as carol: append, flags, delete.
  if (carolToken) loop(async () => {
    const r = Math.random();
    const mine = [...model.msgs.values()].filter((m) => m.user === USERS.carol && !m.busy && m.where.size === 1 && m.where.has('INBOX') && m.uid);
    const target = pick(mine);
    if (r < 0.5 || !target) {
      const token = model.token('a');
      const m: MsgModel = { user: USERS.carol, token, where: new Set(['gone', 'INBOX']), flags: new Set(['']), busy: false };
      model.msgs.set(token, m);
      await write(model, m, async () => {
        const res = await api(base, carolToken, 'POST', '/folders/INBOX/messages', rfc822(token, USERS.carol), { 'content-type': 'message/rfc822' });
        if (res.status !== 201) return false;
        if (!model.seeUid(m.user, 'INBOX', res.json.uid, true)) model.tally.violations.push(`API append ${token}: uid ${res.json.uid} not above ${model.maxUid.get(`${m.user}/INBOX`)}`);
        m.uid = res.json.uid;
        return true;
      }, () => { m.where = new Set(['INBOX']); m.flags = new Set(['']); });
    } else if (r < 0.8) {
      const flags = Math.random() < 0.5 ? ['\\Seen'] : ['\\Seen', '\\Flagged'];
      const prev = new Set(target.flags);
      target.flags = new Set([...prev, flagKey(flags)]);
      await write(model, target, async () => (await api(base, carolToken, 'PATCH', `/folders/INBOX/messages/${target.uid}/flags`, { flags })).status === 200,
        () => (target.flags = new Set([flagKey(flags)])));
    } else {
      target.where = new Set(['INBOX', 'gone']);
      await write(model, target, async () => [200, 204].includes((await api(base, carolToken, 'DELETE', `/folders/INBOX/messages/${target.uid}`)).status),
        () => (target.where = new Set(['gone'])));
    }
  });

  // CalDAV PUT/DELETE and Drive PUT/MOVE/DELETE as carol.
  loop(() => itemOp(model, model.events, 'ev', base, 5, (k, v) => api(base, BASIC, 'PUT', `/caldav/carol/calendars/default/${k}.ics`, ics(k, v), { 'content-type': 'text/calendar' }),
    (k) => api(base, BASIC, 'DELETE', `/caldav/carol/calendars/default/${k}.ics`), (v, k) => ics(k, v)));
  loop(() => itemOp(model, model.files, 'f', base, 6, (k, v) => api(base, BASIC, 'PUT', `/drive/crash/${k}.txt`, v),
    (k) => api(base, BASIC, 'DELETE', `/drive/crash/${k}.txt`), (v) => v, true));

  await stop;
  // Every operation was cut by the kill; give them 3 s to notice, then go on (late ones stay unacknowledged).
  await Promise.race([Promise.allSettled(loops), sleep(3_000)]);
  mx.close();
}

let carolTokenCache: string | null = null;
const tokenCache = new Map<string, string>();

async function login(base: string, user: string): Promise<string> {
  const cached = tokenCache.get(user);
  if (cached) return cached;
  const r = await api(base, null, 'POST', '/auth/login', { username: user, password: PW });
  if (r.status !== 200) throw new Error(`login ${r.status}`);
  tokenCache.set(user, r.json.token as string);
  return r.json.token as string;
}

async function imapOp(model: Model, im: ImapFlow): Promise<void> {
  const bobs = [...model.msgs.values()].filter((m) => m.user === USERS.bob && !m.busy && m.where.size === 1 && !m.where.has('gone') && m.uid);
  const r = Math.random();
  const target = pick(bobs);
  if (r < 0.45 || !target) {
    const token = model.token('i');
    const m: MsgModel = { user: USERS.bob, token, where: new Set(['gone', 'INBOX']), flags: new Set(['']), busy: false };
    model.msgs.set(token, m);
    await write(model, m, async () => {
      const res = await im.append('INBOX', rfc822(token, USERS.bob), []);
      if (!res || !res.uid) return false;
      if (res.uidValidity && model.uidValidity.get(`${m.user}/INBOX`) !== undefined && BigInt(model.uidValidity.get(`${m.user}/INBOX`)!) !== BigInt(res.uidValidity)) {
        model.tally.violations.push(`UIDVALIDITY of bob/INBOX changed`);
      }
      if (res.uidValidity) model.uidValidity.set(`${m.user}/INBOX`, Number(res.uidValidity));
      if (!model.seeUid(m.user, 'INBOX', res.uid, true)) model.tally.violations.push(`IMAP APPEND ${token}: uid ${res.uid} not above ${model.maxUid.get(`${m.user}/INBOX`)}`);
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
      await write(model, target, async () => !!(await im.messageFlagsAdd(String(target.uid), ['\\Flagged'], { uid: true })), () => (target.flags = new Set([''])));
    } else if (r < 0.85) {
      const to = from === 'INBOX' ? 'Archive' : 'INBOX';
      target.where = new Set([from, to]);
      await write(model, target, async () => {
        const res = await im.messageMove(String(target.uid), to, { uid: true });
        const newUid = res && res.uidMap ? res.uidMap.get(target.uid!) : undefined;
        if (!newUid) return false;
        if (!model.seeUid(target.user, to, newUid, true)) model.tally.violations.push(`MOVE ${target.token}: uid ${newUid} not above ${model.maxUid.get(`${target.user}/${to}`)}`);
        target.uid = newUid;
        return true;
      }, () => (target.where = new Set([to])));
      if (target.where.size > 1) target.uid = undefined;
    } else {
      target.where = new Set([from, 'gone']);
      await write(model, target, async () => !!(await im.messageDelete(String(target.uid), { uid: true })), () => (target.where = new Set(['gone'])));
    }
  } finally {
    lock.release();
  }
}

/** PUT (new version), MOVE (files only) or DELETE one of `slots` keys. */
async function itemOp(model: Model, items: Map<string, ItemModel>, prefix: string, base: string, slots: number,
  put: (k: string, v: string) => Promise<{ status: number }>, del: (k: string) => Promise<{ status: number }>, body: (v: string, k: string) => string, movable = false): Promise<void> {
  const key = `${prefix}${Math.floor(Math.random() * slots)}`;
  const it = items.get(key) ?? { key, contents: new Set(['']), busy: false };
  items.set(key, it);
  if (it.busy) return;
  const r = Math.random();
  if (r < 0.6 || it.contents.has('') && it.contents.size === 1) {
    const v = model.token(prefix);
    const h = hash(body(v, key));
    it.contents.add(h);
    await write(model, it, async () => [200, 201, 204].includes((await put(key, v)).status), () => (it.contents = new Set([h])));
  } else if (movable && r < 0.8 && it.contents.size === 1) {
    const dstKey = `${prefix}${Math.floor(Math.random() * slots)}`;
    const dst = items.get(dstKey) ?? { key: dstKey, contents: new Set(['']), busy: false };
    items.set(dstKey, dst);
    if (dst === it || dst.busy) return;
    const h = [...it.contents][0]!;
    it.contents.add('');
    dst.contents.add(h);
    dst.busy = true;
    await write(model, it, async () => [201, 204].includes((await fetch(`${base}/drive/crash/${key}.txt`, {
      method: 'MOVE', headers: { authorization: BASIC, destination: `/drive/crash/${dstKey}.txt`, overwrite: 'T' }, signal: AbortSignal.timeout(15_000),
    })).status), () => { it.contents = new Set(['']); dst.contents = new Set([h]); });
    dst.busy = false;
  } else {
    it.contents.add('');
    await write(model, it, async () => [200, 204].includes((await del(key)).status), () => (it.contents = new Set([''])));
  }
}

/** After a restart: compare what the server shows with the model, then collapse the model to it. */
export async function check(model: Model, c: Child, root: string): Promise<void> {
  const base = `http://127.0.0.1:${c.ports.http}`;
  const bad = (s: string) => model.tally.violations.push(s);
  for (const user of Object.values(USERS)) {
    const token = await login(base, user);
    const seen = new Map<string, { folder: string; uid: number; flags: string }[]>();
    const folders = (await api(base, token, 'GET', '/folders')).json.folders as { name: string }[];
    for (const f of folders) {
      const list = await api(base, token, 'GET', `/folders/${encodeURIComponent(f.name)}/messages?limit=1000`);
      for (const m of list.json.messages as { uid: number; subject: string; flags: string[] }[]) {
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
        if (!m.where.has('gone')) model.tally.lost.push(`${user}: ${m.token} acknowledged in ${[...m.where]} but missing`);
        model.msgs.delete(m.token);
        continue;
      }
      if (!m.where.has(at.folder)) bad(`${m.token} in ${at.folder}, expected ${[...m.where]}`);
      if (m.uid && m.where.size === 1 && m.where.has(at.folder) && at.uid !== m.uid) bad(`${m.token} uid changed ${m.uid} -> ${at.uid}`);
      if (!m.flags.has('') && !m.flags.has(at.flags)) model.tally.lost.push(`${m.token} flags "${at.flags}", expected one of ${[...m.flags].map((f) => `"${f}"`)}`);
      m.where = new Set([at.folder]);
      m.uid = at.uid;
      m.flags = new Set([m.flags.has('') ? '' : at.flags]);
    }
  }
  // Events and files: each is absent or holds one of its possible contents.
  for (const it of model.events.values()) {
    const r = await api(base, BASIC, 'GET', `/caldav/carol/calendars/default/${it.key}.ics`);
    const h = r.status === 200 ? hash(r.text) : r.status === 404 ? '' : `status ${r.status}`;
    if (!it.contents.has(h)) (h === '' ? model.tally.lost : model.tally.violations).push(`event ${it.key}: ${h || 'absent'}, expected ${[...it.contents].map((x) => x || 'absent')}`);
    it.contents = new Set([h]);
  }
  const listing = await api(base, BASIC, 'GET', '/drive/crash');
  const names = new Set(listing.status === 200 ? (listing.json.children as { name: string }[]).map((ch) => ch.name) : []);
  for (const it of model.files.values()) {
    const r = await api(base, BASIC, 'GET', `/drive/crash/${it.key}.txt`);
    const h = r.status === 200 ? hash(r.text) : r.status === 404 ? '' : `status ${r.status}`;
    if (!it.contents.has(h)) (h === '' ? model.tally.lost : model.tally.violations).push(`file ${it.key}: ${h || 'absent'}, expected ${[...it.contents].map((x) => x || 'absent')}`);
    if ((h !== '') !== names.has(`${it.key}.txt`)) bad(`file ${it.key}: listing and GET disagree`);
    it.contents = new Set([h]);
  }
  const v = await verifyMailRoot(root);
  for (const i of v.issues) if (i.level === 'error') bad(`verify: ${i.where}: ${i.what}`);
}
