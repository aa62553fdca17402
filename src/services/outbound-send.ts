/**
 * One delivery attempt of a queued message: to `smtp.relay.smarthost` when configured, else to
 * each recipient domain's MX hosts in preference order (RFC 5321 5.1: no MX → the domain itself;
 * null MX → permanent failure), with nodemailer as the SMTP client (opportunistic STARTTLS).
 * Returns one result per recipient: sent, or failed with the reply and whether it is permanent.
 */
import { createReadStream } from 'node:fs';
import { promises as dns } from 'node:dns';
import nodemailer from 'nodemailer';
import type { Config } from '../common/types.js';

/** The outcome for one recipient. */
export type SendResult =
  | { address: string; ok: true }
  | { address: string; ok: false; permanent: boolean; error: string };

/** An MX lookup: host names in preference order (empty = null MX). */
export type MxResolver = (domain: string) => Promise<string[]>;

/** Where to connect for one attempt. */
interface Hop {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
}

/** Options of the sender (tests point MX delivery at a local fake). */
export interface SendOptions {
  resolveMx: MxResolver;
  mxPort: number;
  timeoutMs: number;
}

/** MX hosts of a domain by node:dns, in preference order. */
export const dnsMx: MxResolver = async (domain) => {
  try {
    const mx = await dns.resolveMx(domain);
    mx.sort((a, b) => a.priority - b.priority);
    if (mx.length === 1 && (mx[0]!.exchange === '' || mx[0]!.exchange === '.')) return [];
    return mx.map((m) => m.exchange);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA') return [domain];
    throw err;
  }
};

class PermanentError extends Error {}

async function hopsFor(config: Config, domain: string, opts: SendOptions): Promise<Hop[]> {
  const relay = config.smtp.relay;
  if (relay.smarthost) {
    const auth = relay.username ? { user: relay.username, pass: relay.password ?? '' } : undefined;
    return [{ host: relay.smarthost, port: relay.port ?? (relay.secure ? 465 : 587), secure: relay.secure, auth }];
  }
  let hosts: string[];
  try {
    hosts = await opts.resolveMx(domain);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND') throw new PermanentError(`550 5.1.2 Domain ${domain} does not exist`);
    throw new Error(`451 4.4.3 DNS lookup for ${domain} failed (${code ?? (err as Error).message})`);
  }
  if (hosts.length === 0) throw new PermanentError(`556 5.1.10 Domain ${domain} does not accept mail (null MX)`);
  return hosts.map((host) => ({ host, port: opts.mxPort, secure: false }));
}

const describe = (err: any): string => (err?.response ? String(err.response) : String(err?.message ?? err)).replace(/\s+/g, ' ');

/** Send `file` to `to` (all of one domain, or all when a smarthost is set) through one hop list. */
async function sendVia(hops: Hop[], config: Config, from: string, to: string[], file: string, opts: SendOptions): Promise<SendResult[]> {
  let lastErr = 'no route';
  for (const hop of hops) {
    const transport = nodemailer.createTransport({
      host: hop.host, port: hop.port, secure: hop.secure, auth: hop.auth, name: config.hostname,
      tls: { rejectUnauthorized: false }, connectionTimeout: opts.timeoutMs, greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs * 4,
    });
    try {
      const info = await transport.sendMail({ envelope: { from, to }, raw: createReadStream(file) });
      const refused = new Map<string, any>(((info as any).rejectedErrors ?? []).map((e: any) => [String(e.recipient).toLowerCase(), e]));
      return to.map((address) => {
        const e = refused.get(address.toLowerCase());
        return e ? { address, ok: false, permanent: (e.responseCode ?? 450) >= 500, error: describe(e) } : { address, ok: true };
      });
    } catch (err: any) {
      if (err?.responseCode) {
        // The server answered: its verdict stands (no other MX is tried), per recipient when known.
        const perRcpt = new Map<string, any>((err.rejectedErrors ?? []).map((e: any) => [String(e.recipient).toLowerCase(), e]));
        return to.map((address) => {
          const e = perRcpt.get(address.toLowerCase()) ?? err;
          return { address, ok: false, permanent: e.responseCode >= 500, error: describe(e) };
        });
      }
      lastErr = `${hop.host}:${hop.port}: ${describe(err)}`;
    } finally {
      transport.close();
    }
  }
  return to.map((address) => ({ address, ok: false, permanent: false, error: `451 4.4.1 ${lastErr}` }));
}

/** One attempt for every pending recipient of a message. */
export async function attemptDelivery(config: Config, from: string, recipients: string[], file: string, opts: SendOptions): Promise<SendResult[]> {
  const groups = new Map<string, string[]>();
  for (const r of recipients) {
    const key = config.smtp.relay.smarthost ? '*' : r.slice(r.lastIndexOf('@') + 1).toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const results: SendResult[] = [];
  for (const [domain, to] of groups) {
    try {
      const hops = await hopsFor(config, domain, opts);
      results.push(...(await sendVia(hops, config, from, to, file, opts)));
    } catch (err) {
      const permanent = err instanceof PermanentError;
      for (const address of to) results.push({ address, ok: false, permanent, error: (err as Error).message });
    }
  }
  return results;
}
