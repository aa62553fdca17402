/** Pure types shared by every layer (no I/O, no state). */

/** The validated configuration (CONTRACT.md). */
export interface Config {
  mail_root: string;
  hostname: string;
  public_url: string;
  listen_host: string;
  domains: string[];
  tls: { cert: string | null; key: string | null };
  http: { port: number | null; tls: boolean };
  imap: { port: number | null; tls_port: number | null };
  smtp: {
    port: number | null;
    submission_port: number | null;
    submissions_port: number | null;
    max_message_bytes: number;
    relay: { smarthost: string | null; username: string | null; password: string | null; port: number | null; secure: boolean };
  };
  exchange_api: { token_secret: string | null; token_ttl_s: number };
  rate_limit: {
    enabled: boolean;
    auth_failures_before_lockout: number;
    lockout_s: number;
    whitelist: string[];
    requests_per_minute: number;
  };
  trusted_networks: string[];
  webmail: { registration: boolean };
  workers: { threads: number | null };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; requests: boolean };
}

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger: `log.info('msg', {fields})`. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}
