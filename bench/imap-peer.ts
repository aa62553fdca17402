/**
 * The peer for bench/imap.ts: Dovecot (Debian `dovecot-imapd`) on a high 127.0.0.1 port with a
 * temp config, passwd-file auth and Maildir (or mdbox, its fast format for big folders); the
 * system's own config is not touched. `variant` starts a second Dovecot on the same store with
 * other settings: bench/imap.ts runs its STOREs against one with `mail_fsync = always` (strace
 * of that imap process: each STORE is a write + fdatasync of `dovecot.index.log`, twice; with
 * the default `optimized` the same writes and no fdatasync).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './smtp-load.js';

/** A running Dovecot IMAP server. */
export interface ImapPeer {
  port: number;
  /**
   * Start a second Dovecot on the same store and users with `settings` (config lines) added, e.g.
   * `mail_fsync = always`: its own port, run and state directories. It is stopped with this one.
   */
  variant(settings: string): Promise<ImapPeer>;
  stop(): void;
}

/** The Dovecot config of one instance: its own run/state/log under `dir`, the shared passwd and mail. */
function dovecotConf(dir: string, port: number, passwd: string, mail: string, format: 'maildir' | 'mdbox', settings = ''): string {
  return `base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = ${format}:~/${format === 'mdbox' ? 'mdbox' : 'Maildir'}
first_valid_uid = 1
mail_max_userip_connections = 500
${settings}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${mail}/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  process_min_avail = 2
}
protocol imap {
  mail_max_userip_connections = 500
}
`;
}

/** Why Dovecot cannot run here, or null. */
export function imapPeerMissing(): string | null {
  if (!existsSync('/usr/sbin/dovecot') || !existsSync('/usr/lib/dovecot/imap')) return 'dovecot-imapd not installed (apt-get install -y dovecot-imapd)';
  if (process.getuid?.() !== 0) return 'dovecot needs root to run';
  return null;
}

/**
 * Start Dovecot with one user `user`/`pass` on a free port, storing mail as `format`. `fill`
 * writes the messages into a Maildir first; for mdbox they are imported with `doveadm import`.
 */
export async function startImapPeer(
  user: string, pass: string, format: 'maildir' | 'mdbox', fill: (maildir: string) => void,
): Promise<ImapPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-imap-peer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const mail = join(dir, 'mail');
  for (const d of ['run', 'state']) mkdirSync(join(dir, d), { recursive: true });
  mkdirSync(mail, { recursive: true });
  chmodSync(mail, 0o777);
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, `${user}:{PLAIN}${pass}::::::\n`);
  chmodSync(passwd, 0o644);
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(conf, dovecotConf(dir, port, passwd, mail, format));
  const [local, domain] = user.split('@') as [string, string];
  const home = join(mail, domain, local);
  const maildir = format === 'maildir' ? join(home, 'Maildir') : join(dir, 'import');
  fill(maildir);
  execFileSync('chown', ['-R', 'nobody:nogroup', mail, ...(format === 'mdbox' ? [maildir] : [])]);
  chmodSync(dir, 0o755);
  execFileSync('dovecot', ['-c', conf], { stdio: 'ignore', timeout: 20_000 });
  if (format === 'mdbox') {
    // doveadm looks the user up through the running server's auth socket.
    execFileSync('doveadm', ['-c', conf, 'import', '-u', user, `maildir:${maildir}`, '', 'all'], { stdio: 'ignore', timeout: 600_000 });
    rmSync(maildir, { recursive: true, force: true });
  }
  await waitPort(port);
  const variants: ImapPeer[] = [];
  return {
    port,
    variant: async (settings) => {
      const vdir = mkdtempSync(join(dir, 'variant-'));
      chmodSync(vdir, 0o755);
      for (const d of ['run', 'state']) mkdirSync(join(vdir, d), { recursive: true });
      const vport = await freePort();
      const vconf = join(vdir, 'dovecot.conf');
      writeFileSync(vconf, dovecotConf(vdir, vport, passwd, mail, format, settings));
      const v: ImapPeer = {
        port: vport,
        variant: () => Promise.reject(new Error('a variant of a variant')),
        stop: () => execFileSync('dovecot', ['-c', vconf, 'stop'], { stdio: 'ignore' }),
      };
      variants.push(v); // before the start: stop() stops it even when the wait below fails
      execFileSync('dovecot', ['-c', vconf], { stdio: 'ignore', timeout: 20_000 });
      await waitPort(vport);
      return v;
    },
    stop: () => {
      try {
        for (const v of variants) {
          try {
            v.stop();
          } catch {
            /* stop the others and the main one anyway */
          }
        }
        execFileSync('dovecot', ['-c', conf, 'stop'], { stdio: 'ignore' });
      } finally {
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
  throw new Error(`dovecot did not listen on ${port}`);
}
