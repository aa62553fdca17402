/**
 * The peers of bench/caldav.ts, each started on a free 127.0.0.1 port with a throwaway config
 * under the temp dir (the system's own configs are never touched):
 * - Radicale (Debian `radicale`), `auth = none`, filled by writing its storage files directly.
 * - Cyrus CalDAV (Debian `cyrus-common` + `cyrus-caldav`): `master` runs `httpd` with a sasldb
 *   user. Its httpd only provisions calendars for a user whose INBOX exists, and INBOXes are
 *   created by `imapd` (autocreate on first login), which lives in `cyrus-imapd` — that package
 *   conflicts with `dovecot-imapd`, so its binary is unpacked with `apt-get download` + `dpkg -x`
 *   into the temp dir (or taken from $CYRUS_IMAPD) and run only for that first login.
 *   Cyrus stores events in mailboxes with its own DAV database, so it is filled by PUT.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './smtp-load.js';

/** One CalDAV server under test. */
export interface CaldavTarget {
  name: string;
  /** Load events [from, to) faster than PUT (not measured); absent: filled by PUT at concurrency 16. */
  populate?: (from: number, to: number, ics: (i: number) => string) => Promise<void>;
  /** The calendar collection URL, ending in `/`. */
  cal: string;
  headers: Record<string, string>;
  /** PUTs measured at concurrency 1 and 16 (fewer for a peer whose PUT is slow). */
  puts: { c1: number; c16: number };
  peakRssMb(): number;
}

/** A running peer. */
export interface Peer {
  target: CaldavTarget;
  stop(): Promise<void>;
}

type Req = (url: string, method: string, headers: Record<string, string>, body?: string) => Promise<{ status: number; text: string }>;

/** Peak RSS (VmHWM) of a process, MB; 0 when it is gone. */
export function rssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function waitFor(fn: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

function stopChild(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Radicale with a temp config, or null when it is not installed. */
export async function startRadicale(req: Req): Promise<Peer | null> {
  if (spawnSync('radicale', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'radicale-bench-'));
  const port = await freePort();
  const conf = join(dir, 'config');
  writeFileSync(conf, `[server]\nhosts = 127.0.0.1:${port}\n[auth]\ntype = none\n[storage]\nfilesystem_folder = ${dir}/collections\n[logging]\nlevel = warning\n`);
  const child: ChildProcess = spawn('radicale', ['--config', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const headers = basic('bench', 'pw');
  await waitFor(() => req(`${base}/`, 'OPTIONS', headers).then(() => true), 'radicale');
  const cal = `${base}/bench/cal/`;
  const mk = await req(cal, 'MKCALENDAR', headers);
  if (mk.status !== 201) throw new Error(`radicale MKCALENDAR ${mk.status}`);
  return {
    target: {
      name: 'radicale', cal, headers, peakRssMb: () => rssOf(child.pid),
      // each Radicale PUT costs time growing with the collection: measure fewer
      puts: { c1: 10, c16: 40 },
      // Radicale's own storage layout: one .ics per item in the collection directory
      populate: async (from, to, ics) => {
        for (let i = from; i < to; i++) writeFileSync(join(dir, 'collections', 'collection-root', 'bench', 'cal', `bench-${i}.ics`), ics(i));
      },
    },
    stop: stopChild(child, dir),
  };
}

const CYRUS_BIN = '/usr/lib/cyrus/bin';

/** Why Cyrus CalDAV cannot run here, or null. */
export function cyrusMissing(): string | null {
  if (!existsSync(join(CYRUS_BIN, 'master')) || !existsSync(join(CYRUS_BIN, 'httpd'))) return 'cyrus-common/cyrus-caldav not installed (apt-get install -y cyrus-common cyrus-caldav sasl2-bin)';
  if (spawnSync('saslpasswd2', ['-v'], { stdio: 'ignore' }).error) return 'saslpasswd2 missing (apt-get install -y sasl2-bin)';
  if (process.getuid?.() !== 0) return 'cyrus master needs root (it runs its services as the cyrus user)';
  return null;
}

/** The imapd binary: $CYRUS_IMAPD, the installed one, or unpacked from the cyrus-imapd package into `dir`. */
function cyrusImapd(dir: string): string {
  const given = process.env['CYRUS_IMAPD'];
  if (given && existsSync(given)) return given;
  if (existsSync(join(CYRUS_BIN, 'imapd'))) return join(CYRUS_BIN, 'imapd');
  const pkg = join(dir, 'pkg');
  mkdirSync(pkg, { recursive: true });
  chmodSync(pkg, 0o777); // apt-get download drops privileges to _apt
  execFileSync('apt-get', ['download', 'cyrus-imapd'], { cwd: pkg, stdio: 'ignore' });
  const deb = readdirSync(pkg).find((f) => f.startsWith('cyrus-imapd_') && f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download cyrus-imapd produced no .deb');
  execFileSync('dpkg', ['-x', join(pkg, deb), join(pkg, 'root')]);
  return join(pkg, 'root', CYRUS_BIN.slice(1), 'imapd');
}

/** One IMAP LOGIN (Cyrus autocreates the INBOX on it), then LOGOUT. */
function imapLogin(port: number, user: string, pass: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    let sent = false;
    s.setTimeout(10_000, () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(false));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!sent && buf.includes('* OK')) {
        sent = true;
        s.write(`a LOGIN ${user} ${pass}\r\n`);
      } else if (/^a (OK|NO|BAD)/m.test(buf)) {
        const ok = /^a OK/m.test(buf);
        s.end('b LOGOUT\r\n');
        resolve(ok);
      }
    });
  });
}

/** Cyrus httpd (CalDAV) under its own master with a temp config dir; null with the reason when it cannot run. */
export async function startCyrus(req: Req): Promise<Peer | { missing: string }> {
  const missing = cyrusMissing();
  if (missing) return { missing };
  const dir = mkdtempSync(join(tmpdir(), 'cyrus-bench-'));
  let imapd: string;
  try {
    imapd = cyrusImapd(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { missing: `no Cyrus imapd to create the user's INBOX (cyrus-imapd conflicts with dovecot-imapd; apt-get download failed: ${(err as Error).message})` };
  }
  const [httpPort, imapPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'imapd.conf');
  for (const d of ['conf/db', 'conf/socket', 'conf/proc', 'conf/log', 'conf/lock', 'conf/user', 'conf/quota', 'conf/sieve', 'spool', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(conf, [
    `configdirectory: ${dir}/conf`, `partition-default: ${dir}/spool`, `temp_path: ${dir}/tmp`, 'servername: localhost',
    'sasl_pwcheck_method: auxprop', 'sasl_auxprop_plugin: sasldb', `sasl_sasldb_path: ${dir}/sasldb2`, 'sasl_mech_list: PLAIN',
    'allowplaintext: yes', 'httpmodules: caldav', 'httpallowcompress: no', 'caldav_allowscheduling: off',
    'autocreate_quota: 0', 'unixhierarchysep: yes', 'syslog_prefix: cyrus-bench', '',
  ].join('\n'));
  writeFileSync(join(dir, 'cyrus.conf'), [
    'START {', `  recover cmd="ctl_cyrusdb -r -C ${conf}"`, '}',
    'SERVICES {', `  imap cmd="${imapd} -C ${conf}" listen="127.0.0.1:${imapPort}" prefork=0`,
    `  http cmd="httpd -C ${conf}" listen="127.0.0.1:${httpPort}" prefork=1`, '}', 'EVENTS {', '}', '',
  ].join('\n'));
  execFileSync('saslpasswd2', ['-p', '-c', '-f', join(dir, 'sasldb2'), '-u', 'localhost', 'bench'], { input: 'bench-pw' });
  execFileSync('chown', ['-R', 'cyrus:mail', dir]);
  chmodSync(dir, 0o755);
  const master: ChildProcess = spawn(join(CYRUS_BIN, 'master'), ['-C', conf, '-M', join(dir, 'cyrus.conf'), '-p', join(dir, 'master.pid'), '-D'], { stdio: 'ignore' });
  const stop = stopChild(master, dir);
  try {
    await waitFor(() => imapLogin(imapPort, 'bench', 'bench-pw'), 'cyrus imapd (INBOX autocreate)');
    const headers = basic('bench', 'bench-pw');
    const cal = `http://127.0.0.1:${httpPort}/dav/calendars/user/bench/Default/`;
    await waitFor(() => req(cal, 'PROPFIND', { ...headers, depth: '0' }).then((r) => r.status === 207), 'cyrus httpd (calendar provisioning)');
    return {
      target: {
        name: 'cyrus', cal, headers, puts: { c1: 300, c16: 1000 },
        // httpd forks one process per connection: the largest of master's children
        peakRssMb: () => Math.max(0, ...childPids(master.pid).map(rssOf)),
      },
      stop,
    };
  } catch (err) {
    await stop();
    return { missing: `cyrus did not serve CalDAV: ${(err as Error).message}` };
  }
}

function childPids(pid: number | undefined): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}
