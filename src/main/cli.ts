/** The `rmail` command line: serve, user and alias management (works while the server runs). */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './log.js';
import { queueCommand, dkimCommand } from './queue-cli.js';
import { verifyCommand } from './verify.js';
import { backupCommand, restoreCommand } from './backup.js';
import { ActorRegistry } from '../actors/registry.js';
import { ChangeBus } from '../actors/changes.js';
import { AccountService } from '../services/accounts.js';
import { splitAddress } from '../common/names.js';
import type { Config } from '../common/types.js';

/** A usage error: printed as one line, exit code 2. */
class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['--config', '--password', '--quota-mb']);
const BOOL_FLAGS = new Set(['--admin', '--password-stdin', '--fix', '--help']);

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (VALUE_FLAGS.has(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new UsageError(`${name} needs a value`);
        flags.set(name, value);
      } else if (BOOL_FLAGS.has(name)) flags.set(name, true);
      else throw new UsageError(`unknown option ${name}`);
    } else positional.push(arg);
  }
  return { positional, flags };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function passwordFrom(flags: Map<string, string | true>): Promise<string> {
  const p = flags.get('--password');
  if (typeof p === 'string') return p;
  if (flags.get('--password-stdin')) return readStdin();
  throw new UsageError('give --password P or --password-stdin');
}

function address(arg: string | undefined): { user: string; domain: string } {
  const a = arg ? splitAddress(arg) : null;
  if (!a) throw new UsageError(`expected USER@DOMAIN, got ${arg ?? 'nothing'}`);
  return a;
}

/** Run `fn` with an account service of its own; its actors' lock files are closed after. */
async function withAccounts(config: Config, fn: (accounts: AccountService) => Promise<void>): Promise<void> {
  const actors = new ActorRegistry(config.mail_root);
  try {
    await fn(new AccountService(config.mail_root, actors, new ChangeBus(), config.domains));
  } finally {
    await actors.close();
  }
}

const USAGE = `usage:
  rmail serve [--config FILE]
  rmail user add USER@DOMAIN [--admin] [--quota-mb N] (--password P | --password-stdin)
  rmail user passwd USER@DOMAIN (--password P | --password-stdin)
  rmail user list [DOMAIN]
  rmail user del USER@DOMAIN
  rmail alias add DOMAIN PATTERN TARGET
  rmail alias list DOMAIN
  rmail alias del DOMAIN PATTERN
  rmail queue list | rmail queue flush
  rmail dkim show DOMAIN
  rmail verify [--fix]
  rmail backup DIR
  rmail restore DIR`;

async function serve(config: Config): Promise<void> {
  const log = createLogger(config.log.level);
  // Loaded on demand: user and alias commands start fast without the protocol servers.
  const { startServer } = await import('./serve.js');
  const server = await startServer(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function userCommand(accounts: AccountService, config: Config, sub: string | undefined, p: Parsed): Promise<void> {
  const args = p.positional.slice(2);
  switch (sub) {
    case 'add': {
      const a = address(args[0]);
      const quota = p.flags.get('--quota-mb');
      const quotaMb = quota === undefined ? undefined : Number(quota);
      if (quotaMb !== undefined && !Number.isInteger(quotaMb)) throw new UsageError('--quota-mb takes a whole number');
      const info = await accounts.create({
        username: a.user, domain: a.domain, password: await passwordFrom(p.flags),
        admin: p.flags.has('--admin'), quota_mb: quotaMb,
      });
      console.log(`created ${info.username}@${info.domain}${info.admin ? ' (admin)' : ''}`);
      return;
    }
    case 'passwd': {
      const a = address(args[0]);
      await accounts.setPassword(a.user, a.domain, await passwordFrom(p.flags));
      console.log(`password changed for ${a.user}@${a.domain}`);
      return;
    }
    case 'list': {
      const domains = args[0] ? [args[0]] : config.domains;
      for (const d of domains) {
        for (const u of await accounts.list(d)) {
          console.log(`${u.username}@${u.domain}\t${u.admin ? 'admin' : 'user'}\t${u.enabled ? 'enabled' : 'disabled'}\t${u.quota_mb} MB`);
        }
      }
      return;
    }
    case 'del': {
      const a = address(args[0]);
      await accounts.remove(a.user, a.domain);
      console.log(`deleted ${a.user}@${a.domain}`);
      return;
    }
    default:
      throw new UsageError(`unknown user command ${sub ?? '(none)'}; try: add, passwd, list, del`);
  }
}

async function aliasCommand(accounts: AccountService, sub: string | undefined, p: Parsed): Promise<void> {
  const [domain, pattern, target] = p.positional.slice(2);
  if (!domain) throw new UsageError('alias commands need a DOMAIN');
  switch (sub) {
    case 'add':
      if (pattern === undefined || target === undefined) throw new UsageError('usage: rmail alias add DOMAIN PATTERN TARGET');
      await accounts.addAlias(domain, pattern, target);
      console.log(`added ${pattern} -> ${target}`);
      return;
    case 'list':
      for (const r of await accounts.aliases(domain)) console.log(`${r.pattern}\t${r.target}`);
      return;
    case 'del':
      if (pattern === undefined) throw new UsageError('usage: rmail alias del DOMAIN PATTERN');
      await accounts.removeAlias(domain, pattern);
      console.log(`deleted ${pattern}`);
      return;
    default:
      throw new UsageError(`unknown alias command ${sub ?? '(none)'}; try: add, list, del`);
  }
}

/** Extra commands other areas register (queue, dkim, verify, backup...). */
export type CliCommand = (config: Config, p: { positional: string[]; flags: Map<string, string | true> }) => Promise<void>;
const EXTRA: Record<string, CliCommand> = { queue: queueCommand, dkim: dkimCommand, verify: verifyCommand, backup: backupCommand, restore: restoreCommand };

/** Run the CLI on `argv` (without node and script). */
export async function main(argv: string[]): Promise<number> {
  try {
    const p = parseArgs(argv);
    if (p.flags.has('--help') || p.positional.length === 0) {
      console.log(USAGE);
      return p.positional.length === 0 && !p.flags.has('--help') ? 2 : 0;
    }
    const cfg = p.flags.get('--config');
    const config = loadConfig(typeof cfg === 'string' ? cfg : undefined);
    const [cmd, sub] = p.positional;
    switch (cmd) {
      case 'serve':
        await serve(config);
        return -1;
      case 'user':
        await withAccounts(config, (accounts) => userCommand(accounts, config, sub, p));
        return 0;
      case 'alias':
        await withAccounts(config, (accounts) => aliasCommand(accounts, sub, p));
        return 0;
      default: {
        const extra = EXTRA[cmd!];
        if (!extra) throw new UsageError(`unknown command ${cmd}; try: serve, user, alias`);
        await extra(config, p);
        return 0;
      }
    }
  } catch (err) {
    const e = err as Error;
    const isUser = err instanceof UsageError || err instanceof ConfigError || ['ValidationError', 'NotFoundError', 'ConflictError'].includes(e.name);
    process.stderr.write(`rmail: ${e.message}\n`);
    return isUser ? 2 : 1;
  }
}

/** Run `main` and set the exit code (used by bin/rmail.js and `node dist/main/cli.js`). */
export function runCli(): void {
  main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exitCode = code;
  });
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) runCli();
