import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';
import { walkTotals } from '../../../src/store/drive/reconcile.js';
import { verifyMailRoot } from '../../../src/main/verify.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('_index.json totals equal a fresh walk after random operations', async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const d = `${s.url}/drive`;
  const rand = rng(Number(process.env.DRIVE_SEED ?? 7));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const names = ['a', 'b', 'c', 'd'];
  const randPath = (max: number) => Array.from({ length: 1 + Math.floor(rand() * max) }, () => pick(names)).join('/');
  const ops: string[] = [];
  for (let i = 0; i < 60; i++) {
    const op = pick(['put', 'put', 'put', 'mkdir', 'mkcol', 'delete', 'move', 'copy', 'overwrite']);
    const p = randPath(3);
    const q = randPath(3);
    let r;
    if (op === 'put' || op === 'overwrite') r = await request(`${d}/${p}.txt`, { method: 'PUT', basic: A, body: 'x'.repeat(Math.floor(rand() * 300)) });
    else if (op === 'mkdir') r = await request(`${d}/${p}?action=mkdir`, { method: 'POST', basic: A });
    else if (op === 'mkcol') r = await request(`${d}/${p}`, { method: 'MKCOL', basic: A });
    else if (op === 'delete') r = await request(`${d}/${p}`, { method: 'DELETE', basic: A });
    else r = await request(`${d}/${p}`, { method: op.toUpperCase(), basic: A, headers: { destination: `/drive/${q}`, overwrite: pick(['T', 'F']) } });
    ops.push(`${op} ${p} ${q} -> ${r.status}`);
    t.ok(r.status < 500, `${op} ${p} no server error`);
  }
  // concurrent uploads share actor turns (group commit): same names, new nested dirs, overwrites
  const conc = await Promise.all(Array.from({ length: 40 }, (_, i) =>
    request(`${d}/conc/${i % 5}/${i % 7}/f${i % 9}.bin`, { method: 'PUT', basic: A, body: 'y'.repeat(i * 10) })));
  t.ok(conc.every((r) => r.status === 201 || r.status === 200), 'concurrent PUTs all succeed');
  t.equal(conc.filter((r) => r.status === 201).length, new Set(Array.from({ length: 40 }, (_, i) => `${i % 5}/${i % 7}/f${i % 9}`)).size, 'each distinct path created once');
  const files = join(s.root, 'domains/example.com/users/alice/drive/files');
  // The live server holds its latest index changes in memory (the journal covers them): verify,
  // as `rmail verify` run beside it, replays the journal and must find nothing wrong.
  const listing = (await request(`${d}/`, { basic: A, headers: { accept: 'application/json' } })).json;
  const report = await verifyMailRoot(s.root);
  t.same(report.issues.filter((i) => i.where.includes('drive')), [], 'verify beside the live server finds no drive damage');
  t.same((await request(`${d}/`, { basic: A, headers: { accept: 'application/json' } })).json, listing, 'the server reloads the same state after verify rewrote the indexes');
  let checked = 0;
  const check = async (dir: string) => {
    const idx = JSON.parse(readFileSync(join(dir, '_index.json'), 'utf8'));
    const walked = await walkTotals(dir);
    t.same({ files: idx.total_files, dirs: idx.total_dirs, bytes: idx.total_bytes }, walked, `totals of ${dir.slice(files.length) || '/'}`);
    const entries = readdirSync(dir).filter((n) => !n.startsWith('_') && !n.endsWith('.tmp'));
    const selfFiles = entries.filter((n) => statSync(join(dir, n)).isFile());
    t.equal(idx.self_files, selfFiles.length, 'self_files');
    t.equal(idx.self_dirs, entries.length - selfFiles.length, 'self_dirs');
    t.equal(idx.self_bytes, selfFiles.reduce((n, f) => n + statSync(join(dir, f)).size, 0), 'self_bytes');
    t.same(Object.keys(idx.children).sort(), entries.sort(), 'children match the directory');
    checked++;
    for (const e of entries) if (statSync(join(dir, e)).isDirectory()) await check(join(dir, e));
  };
  await check(files);
  const meta = JSON.parse(readFileSync(join(s.root, 'domains/example.com/users/alice/drive/_meta.json'), 'utf8'));
  const root = await walkTotals(files);
  t.same({ files: meta.total_files, dirs: meta.total_dirs, bytes: meta.total_bytes }, root, '_meta.json totals');
  t.ok(meta.sync_token > 0 && meta.ctag > 0);
  const usage = await s.services.quota.usage('alice@example.com');
  t.equal(usage.drive, root.bytes, 'quota sees the drive bytes');
  t.ok(checked > 1, `checked ${checked} directories`);
  if (t.passing() === false) t.comment(ops.join('\n'));
});
