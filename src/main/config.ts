/** The JSON configuration file of CONTRACT.md: defaults, validation, derived values. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus } from 'node:os';
import type { Config } from '../common/types.js';

export type { Config };

/** Thrown for a bad config file; the CLI prints the message and exits 2. */
export class ConfigError extends Error {}

type Kind = 'string' | 'string?' | 'port' | 'int' | 'int?' | 'bool' | 'strings' | 'level';
type Schema = { [key: string]: Kind | Schema };

const SCHEMA: Schema = {
  mail_root: 'string',
  hostname: 'string',
  public_url: 'string?',
  listen_host: 'string',
  domains: 'strings',
  tls: { cert: 'string?', key: 'string?' },
  http: { port: 'port', tls: 'bool' },
  imap: { port: 'port', tls_port: 'port' },
  smtp: {
    port: 'port',
    submission_port: 'port',
    submissions_port: 'port',
    max_message_bytes: 'int',
    relay: { smarthost: 'string?', username: 'string?', password: 'string?', port: 'int?', secure: 'bool' },
  },
  exchange_api: { token_secret: 'string?', token_ttl_s: 'int' },
  rate_limit: {
    enabled: 'bool',
    auth_failures_before_lockout: 'int',
    lockout_s: 'int',
    whitelist: 'strings',
    requests_per_minute: 'int',
  },
  trusted_networks: 'strings',
  webmail: { registration: 'bool' },
  workers: { threads: 'int?' },
  log: { level: 'level', requests: 'bool' },
};

/** The embedded defaults: `npm start` with no file runs on these. */
export function defaultConfig(): Config {
  return {
    mail_root: './mailstore',
    hostname: 'localhost',
    public_url: '',
    listen_host: '0.0.0.0',
    domains: ['localhost'],
    tls: { cert: null, key: null },
    http: { port: 9003, tls: true },
    imap: { port: 1143, tls_port: 1993 },
    smtp: {
      port: 2525,
      submission_port: 2587,
      submissions_port: 2465,
      max_message_bytes: 26214400,
      relay: { smarthost: null, username: null, password: null, port: null, secure: false },
    },
    exchange_api: { token_secret: null, token_ttl_s: 3600 },
    rate_limit: {
      enabled: true,
      auth_failures_before_lockout: 5,
      lockout_s: 900,
      whitelist: ['127.0.0.1', '::1'],
      requests_per_minute: 6000,
    },
    trusted_networks: ['127.0.0.0/8', '::1/128'],
    webmail: { registration: false },
    workers: { threads: null },
    log: { level: 'info', requests: true },
  };
}

function checkValue(path: string, kind: Kind, value: unknown): void {
  const fail = (what: string): never => {
    throw new ConfigError(`config: ${path} must be ${what}`);
  };
  switch (kind) {
    case 'string': if (typeof value !== 'string' || value === '') fail('a non-empty string'); break;
    case 'string?': if (value !== null && typeof value !== 'string') fail('a string or null'); break;
    case 'port':
      if (value !== null && (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535)) {
        fail('a port number 0-65535 or null');
      }
      break;
    case 'int': if (!Number.isInteger(value) || (value as number) < 0) fail('a non-negative integer'); break;
    case 'int?': if (value !== null && (!Number.isInteger(value) || (value as number) < 0)) fail('a non-negative integer or null'); break;
    case 'bool': if (typeof value !== 'boolean') fail('true or false'); break;
    case 'strings': if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail('a list of strings'); break;
    case 'level': if (!['debug', 'info', 'warn', 'error'].includes(value as string)) fail('one of debug, info, warn, error'); break;
  }
}

function merge(path: string, schema: Schema, target: Record<string, unknown>, input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(`config: ${path || 'the file'} must be a JSON object`);
  }
  for (const [key, value] of Object.entries(input)) {
    const full = path ? `${path}.${key}` : key;
    const kind = schema[key];
    if (kind === undefined) throw new ConfigError(`config: unknown key "${full}"`);
    if (typeof kind === 'object') merge(full, kind, target[key] as Record<string, unknown>, value);
    else {
      checkValue(full, kind, value);
      target[key] = value;
    }
  }
}

/** Build a config from a parsed JSON value over the defaults; throws ConfigError naming the key. */
export function buildConfig(input: unknown, baseDir = process.cwd()): Config {
  const config = defaultConfig();
  merge('', SCHEMA, config as unknown as Record<string, unknown>, input ?? {});
  config.mail_root = resolve(baseDir, config.mail_root);
  config.hostname = config.hostname.toLowerCase();
  config.domains = [...new Set(['localhost', ...config.domains.map((d) => d.toLowerCase())])];
  if (config.exchange_api.token_secret !== null && config.exchange_api.token_secret.length < 32) {
    throw new ConfigError('config: exchange_api.token_secret must be at least 32 characters');
  }
  if (!config.public_url) {
    const scheme = config.http.tls ? 'https' : 'http';
    config.public_url = `${scheme}://${config.hostname}:${config.http.port ?? 9003}`;
  }
  config.public_url = config.public_url.replace(/\/+$/, '');
  if ((config.tls.cert === null) !== (config.tls.key === null)) {
    throw new ConfigError('config: tls.cert and tls.key must be given together');
  }
  if (config.tls.cert) config.tls.cert = resolve(baseDir, config.tls.cert);
  if (config.tls.key) config.tls.key = resolve(baseDir, config.tls.key);
  if (config.workers.threads === 0) throw new ConfigError('config: workers.threads must be at least 1 or null');
  return config;
}

/** Read and validate a config file (or the defaults when `file` is undefined). */
export function loadConfig(file?: string): Config {
  if (file === undefined) return buildConfig({});
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return buildConfig(json, process.cwd());
}

/** Worker threads per pool: the configured number, or the core count. */
export const workerThreads = (config: Config): number => config.workers.threads ?? Math.max(1, cpus().length);
