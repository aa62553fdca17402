/**
 * Webmail (issue 8): a 10,000-message INBOX, then sequential page loads over loopback:
 * message-list pages at random offsets (50 rows each), the last page, message detail pages,
 * and an in-folder search. The target is every page under 50 ms of server time: latencies are
 * the dispatcher's own per-request times (request log), not loopback round trips. In-process, port 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from './types.js';
import { percentile, withPeakRss } from './types.js';
import { buildConfig } from '../src/main/config.js';
import { startServer } from '../src/main/serve.js';
import type { Logger } from '../src/common/types.js';

function message(n: number): Buffer {
  return Buffer.from(`From: "Sender ${n}" <s${n}@remote.example>\r\nTo: bench@example.com\r\nSubject: Bench message ${n}\r\n`
    + `Date: ${new Date(Date.UTC(2025, 0, 1) + n * 60_000).toUTCString()}\r\nMessage-ID: <b${n}@remote.example>\r\n`
    + `Content-Type: text/plain; charset=utf-8\r\n\r\nHello ${n}, this is the body of a bench message.\r\n`);
}

/** Server-side request times (ms) as the dispatcher logs them. */
const serverMs: number[] = [];
const logger: Logger = {
  debug() {}, warn() {}, error() {},
  info(msg, fields) { if (msg === 'http' && typeof fields?.ms === 'number') serverMs.push(fields.ms); },
};

async function timed(url: string, cookie: string, n: number, pick: (i: number) => string): Promise<number[]> {
  const samples: number[] = [];
  serverMs.length = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url + pick(i), { headers: { cookie } });
    await res.text();
    if (res.status !== 200) throw new Error(`${pick(i)}: ${res.status}`);
    samples.push(performance.now() - t0);
  }
  return serverMs.length === samples.length ? [...serverMs] : samples;
}

/** Run the webmail bench. `--messages=N` sets the folder size (default 10000). */
export async function run(args: string[]): Promise<Row[]> {
  const count = Number(args.find((a) => a.startsWith('--messages='))?.slice(11) ?? 10_000);
  const root = mkdtempSync(join(tmpdir(), 'rmail-bench-webmail-'));
  const config = buildConfig({
    mail_root: root, listen_host: '127.0.0.1', domains: ['example.com'], http: { port: 0, tls: false },
    imap: { port: null, tls_port: null }, smtp: { port: null, submission_port: null, submissions_port: null },
    log: { level: 'info', requests: true },
  });
  const server = await startServer(config, logger);
  try {
    const { mail, accounts } = server.services;
    await accounts.create({ username: 'bench', domain: 'example.com', password: 'benchpw', quota_mb: 10240 });
    const t0 = performance.now();
    for (let i = 0; i < count; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, k) => mail.append('bench@example.com', 'INBOX', { data: message(i + k + 1) })));
    }
    const fillS = (performance.now() - t0) / 1000;
    const base = `http://127.0.0.1:${server.ports.http}`;
    const login = await fetch(`${base}/webmail/login`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=bench%40example.com&password=benchpw',
    });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const rows: Row[] = [];
    const { result, peakMb } = await withPeakRss(async () => {
      await timed(`${base}/webmail/INBOX`, cookie, 20, () => ''); // warm-up
      const list = await timed(`${base}/webmail/INBOX`, cookie, 300, (i) => `?offset=${(i * 7919) % (count - 50)}`);
      const last = await timed(`${base}/webmail/INBOX`, cookie, 50, () => `?offset=${count - 50}`);
      const detail = await timed(`${base}/webmail/INBOX/`, cookie, 200, (i) => String(1 + ((i * 104729) % count)));
      const search = await timed(`${base}/webmail/INBOX`, cookie, 5, (i) => `?q=message+${9000 + i}`);
      return { list, last, detail, search };
    });
    const row = (name: string, s: number[], note?: string): Row => ({
      name, ops_per_s: 1000 / (s.reduce((a, b) => a + b, 0) / s.length), p50_ms: percentile(s, 50), p99_ms: percentile(s, 99), note,
    });
    rows.push(row(`webmail: list page, ${count}-msg INBOX, random offset`, result.list, `filled in ${fillS.toFixed(1)} s`));
    rows.push(row('webmail: list page, last offset', result.last));
    rows.push(row('webmail: message detail', result.detail, 'marks \\Seen on first view'));
    rows.push(row('webmail: in-folder search, 10k msgs', result.search, 'cache warmed in the background by the list pages'));
    rows[0]!.peak_rss_mb = peakMb;
    return rows;
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
