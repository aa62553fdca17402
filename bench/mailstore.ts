/**
 * Mail store (issue 3): durable append rate (group commit; a small message is parsed on the loop and its journal line carries its bytes), cold open of
 * a 100,000-message folder, list of the 100 newest, one flag change on 1,000 vs 100,000
 * messages, and every envelope of the 100k folder (IMAP FETCH 1:* ENVELOPE's store part).
 * In-process MailService on a temp mail_root; the 100k folder is laid down directly in the
 * store's on-disk format (files + snapshot + summaries) to keep the bench short.
 */
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from './types.js';
import { percentile, withPeakRss } from './types.js';
import { buildConfig } from '../src/main/config.js';
import { silentLogger } from '../src/main/log.js';
import { ActorRegistry } from '../src/actors/registry.js';
import { ChangeBus } from '../src/actors/changes.js';
import { WorkerPool } from '../src/workers/pool.js';
import { AccountService } from '../src/services/accounts.js';
import { QuotaService } from '../src/services/quota.js';
import { MailService } from '../src/services/mail.js';
import { tmpDir, mailFolderDir } from '../src/store/layout.js';
import { writeSnapshot } from '../src/store/mail/snapshot.js';
import { summarize } from '../src/workers/parse-mime.js';
import type { MessageMeta } from '../src/common/mail.js';

const ID = 'bench@example.com';
const msg = (i: number) => Buffer.from(
  `From: Sender ${i} <s${i}@example.org>\r\nTo: bench@example.com\r\nSubject: message number ${i}\r\n`
  + `Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${i}@bench>\r\n\r\n${'Some text of the body.\r\n'.repeat(30)}`);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Lay down an n-message folder in the store format (files, snapshot, summaries). */
async function layDown(dir: string, n: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const metas: MessageMeta[] = [];
  const sums = openSync(join(dir, 'summaries.jsonl'), 'w');
  const now = Date.now();
  let chunk: string[] = [];
  for (let uid = 1; uid <= n; uid++) {
    const data = msg(uid);
    writeFileSync(join(dir, `${uid}.eml`), data);
    metas.push({ uid, modseq: uid + 1, internalDate: now - (n - uid) * 1000, size: data.length, flags: uid % 3 ? ['\\Seen'] : [] });
    chunk.push(`${uid} ${JSON.stringify(summarize(data))}\n`);
    if (chunk.length === 1000) {
      writeSync(sums, chunk.join(''));
      chunk = [];
    }
  }
  writeSync(sums, chunk.join(''));
  closeSync(sums);
  await writeSnapshot(join(dir, 'index.snap'), { uidValidity: 1, uidNext: n + 1, highestModseq: n + 1, expunged: [] }, metas);
}

/** Run the bench. `--messages=N` sets the big folder's size (default 100000). */
export async function run(args: string[]): Promise<Row[]> {
  const big = Number(args.find((a) => a.startsWith('--messages='))?.slice(11) ?? 100_000);
  const root = mkdtempSync(join(tmpdir(), 'rmail-bench-mail-'));
  const config = buildConfig({ mail_root: root, domains: ['example.com'], http: { port: null }, imap: { port: null, tls_port: null }, smtp: { port: null, submission_port: null, submissions_port: null } });
  mkdirSync(tmpDir(root), { recursive: true });
  const pool = new WorkerPool(2);
  let actors = new ActorRegistry(root);
  const make = () => {
    const changes = new ChangeBus();
    const accounts = new AccountService(root, actors, changes, config.domains);
    const quota = new QuotaService(root, accounts);
    const mail = new MailService({ config, log: silentLogger, actors, changes, pool, quota });
    accounts.onCreate.push((id) => mail.ensureUser(id));
    return { accounts, mail };
  };
  let { accounts, mail } = make();
  const rows: Row[] = [];
  try {
    await accounts.create({ username: 'bench', domain: 'example.com', password: 'pw', quota_mb: 1048576 });
    // 1. durable appends: 32 concurrent writers, 2,000 messages
    await mail.append(ID, 'INBOX', { data: msg(0) });
    const lat: number[] = [];
    let next = 1;
    const total = 2000;
    const { result: secs, peakMb } = await withPeakRss(async () => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (next <= total) {
          const i = next++;
          lat.push(await timeIt(() => mail.append(ID, 'INBOX', { data: msg(i) })));
        }
      }));
      return (performance.now() - t0) / 1000;
    });
    rows.push({ name: 'mailstore: append, durable (32 writers, 1.7 KB msgs)', ops_per_s: total / secs, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), peak_rss_mb: peakMb, note: 'fsync file+dir+journal, group commit, mime worker' });
    const single: number[] = [];
    for (let i = 0; i < 100; i++) single.push(await timeIt(() => mail.append(ID, 'Drafts', { data: msg(i) })));
    rows.push({ name: 'mailstore: append, durable (1 writer)', ops_per_s: 1000 / percentile(single, 50), p50_ms: percentile(single, 50), p99_ms: percentile(single, 99) });

    // 2. the big folder and a 1k folder
    const bigInfo = await mail.createFolder(ID, 'Big');
    const smallInfo = await mail.createFolder(ID, 'Small');
    await actors.close();
    await layDown(mailFolderDir(root, 'example.com', 'bench', bigInfo.id), big);
    await layDown(mailFolderDir(root, 'example.com', 'bench', smallInfo.id), 1000);
    actors = new ActorRegistry(root);
    ({ accounts, mail } = make());
    const { result: openMs, peakMb: openPeak } = await withPeakRss(() => timeIt(() => mail.folder(ID, 'Big')));
    rows.push({ name: `mailstore: cold open, ${big} messages`, p50_ms: openMs, peak_rss_mb: openPeak, note: 'snapshot + journal replay' });
    const view = await mail.folder(ID, 'Big');
    const newest = () => view.messages.slice(-100).reverse().map((m) => m.uid);
    const firstList = await timeIt(() => mail.summaries(ID, 'Big', newest()));
    const lists: number[] = [];
    for (let i = 0; i < 50; i++) lists.push(await timeIt(() => mail.summaries(ID, 'Big', newest())));
    rows.push({ name: `mailstore: list 100 newest of ${big}`, ops_per_s: 1000 / percentile(lists, 50), p50_ms: percentile(lists, 50), p99_ms: percentile(lists, 99), note: `first (loads summaries) ${firstList.toFixed(0)} ms` });
    const flagRow = async (folder: string, n: number) => {
      await mail.folder(ID, folder);
      const ms: number[] = [];
      for (let i = 0; i < 300; i++) {
        const uid = 1 + ((i * 7919) % n);
        ms.push(await timeIt(() => mail.setFlags(ID, folder, [uid], i % 2 ? 'remove' : 'add', ['\\Flagged'])));
      }
      return ms;
    };
    const small = await flagRow('Small', 1000);
    const large = await flagRow('Big', big);
    rows.push({ name: 'mailstore: one flag change, 1,000 msgs', ops_per_s: 1000 / percentile(small, 50), p50_ms: percentile(small, 50), p99_ms: percentile(small, 99) });
    rows.push({ name: `mailstore: one flag change, ${big} msgs`, ops_per_s: 1000 / percentile(large, 50), p50_ms: percentile(large, 50), p99_ms: percentile(large, 99), note: `${(percentile(large, 50) / percentile(small, 50)).toFixed(2)}x the 1k cost (one journal line)` });
    const uids = view.messages.map((m) => m.uid);
    const { result: envMs, peakMb: envPeak } = await withPeakRss(() => timeIt(() => mail.summaries(ID, 'Big', uids)));
    rows.push({ name: `mailstore: all ${big} summaries, one call (FETCH 1:* ENVELOPE store part)`, ops_per_s: big / (envMs / 1000), p50_ms: envMs, peak_rss_mb: envPeak, note: 'mail.summaries(uids)' });
    const oneMs = await timeIt(async () => {
      for (const uid of uids.slice(0, 10_000)) await mail.summary(ID, 'Big', uid);
    });
    rows.push({ name: 'mailstore: summary() one at a time', ops_per_s: 10_000 / (oneMs / 1000), note: '10,000 calls' });
  } finally {
    await actors.close();
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}
