/**
 * The peer for bench/smtp.ts: Postfix (Debian `postfix`) accepting on a high 127.0.0.1 port and
 * delivering over LMTP into Dovecot (`dovecot-lmtpd`) maildirs, both on temp configs under one
 * temp directory (`postfix -c DIR`, `dovecot -c FILE`); the system's own configs are not touched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, readFileSync, chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './smtp-load.js';

/** A running Postfix + Dovecot pair. */
export interface Peer {
  smtpPort: number;
  /** Messages delivered into the maildirs of `users` (new/ + cur/). */
  delivered(users: string[]): Promise<number>;
  stop(): void;
}

/** Why the peer cannot run here, or null when postfix and dovecot are installed. */
export function peerMissing(): string | null {
  if (!existsSync('/usr/sbin/postfix')) return 'postfix not installed (apt-get install -y postfix)';
  if (!existsSync('/usr/sbin/dovecot') || !existsSync('/usr/lib/dovecot/lmtp')) return 'dovecot-lmtpd not installed';
  if (process.getuid?.() !== 0) return 'postfix and dovecot need root to run';
  return null;
}

/** Start Postfix → LMTP → Dovecot for `domain` on free ports. */
export async function startPeer(domain: string): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-peer-'));
  chmodSync(dir, 0o755);
  const [smtpPort, lmtpPort] = [await freePort(), await freePort()];
  const pf = join(dir, 'postfix');
  for (const d of ['etc', 'spool', 'data']) mkdirSync(join(pf, d), { recursive: true });
  execFileSync('chown', ['postfix', join(pf, 'data')]);
  writeFileSync(join(pf, 'etc', 'main.cf'), [
    'compatibility_level = 3.6',
    `queue_directory = ${join(pf, 'spool')}`,
    `data_directory = ${join(pf, 'data')}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'myhostname = peer.bench.test',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    `virtual_mailbox_domains = ${domain}`,
    `virtual_transport = lmtp:inet:127.0.0.1:${lmtpPort}`,
    'smtpd_reject_unlisted_recipient = no',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    `maillog_file = ${join(pf, 'maillog')}`,
    `maillog_file_prefixes = ${dir}`,
    'smtputf8_enable = no',
    'biff = no',
    'message_size_limit = 26214400',
    '',
  ].join('\n'));
  // Debian's master.cf with the smtp listener moved to our port and no chroot (no jail to populate).
  const master = readFileSync('/etc/postfix/master.cf', 'utf8').split('\n').map((line) => {
    if (/^\s|^#/.test(line) || line.trim() === '') return line;
    const f = line.split(/\s+/);
    if (f.length < 8) return line;
    if (f[0] === 'smtp' && f[1] === 'inet') f[0] = `127.0.0.1:${smtpPort}`;
    if (f[4] === 'y') f[4] = 'n';
    return f.join('  ');
  }).join('\n');
  writeFileSync(join(pf, 'etc', 'master.cf'), master);

  const dv = join(dir, 'dovecot');
  const mail = join(dv, 'mail');
  mkdirSync(join(dv, 'run'), { recursive: true });
  mkdirSync(join(dv, 'state'), { recursive: true });
  mkdirSync(mail, { recursive: true });
  chmodSync(mail, 0o777);
  const conf = join(dv, 'dovecot.conf');
  writeFileSync(conf, `base_dir = ${join(dv, 'run')}
state_dir = ${join(dv, 'state')}
log_path = ${join(dv, 'dovecot.log')}
protocols = lmtp
listen = 127.0.0.1
ssl = no
mail_location = maildir:${mail}/%d/%n
first_valid_uid = 1
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${mail}/%d/%n
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
`);
  execFileSync('dovecot', ['-c', conf], { stdio: 'ignore' });
  execFileSync('postfix', ['-c', join(pf, 'etc'), 'start'], { stdio: 'ignore' });
  await waitPort(smtpPort);
  const count = (d: string) => {
    try {
      return readdirSync(d).length;
    } catch {
      return 0;
    }
  };
  return {
    smtpPort,
    delivered: async (users) => users.reduce((n, u) => {
      const [local, dom] = u.split('@') as [string, string];
      const box = join(mail, dom, local);
      return n + count(join(box, 'new')) + count(join(box, 'cur'));
    }, 0),
    stop: () => {
      try {
        execFileSync('postfix', ['-c', join(pf, 'etc'), 'stop'], { stdio: 'ignore' });
      } finally {
        execFileSync('dovecot', ['-c', conf, 'stop'], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function waitPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`postfix did not listen on ${port}`);
}
