/**
 * rclone (Debian `rclone`, WebDAV backend, vendor "other") against the drive: copy, check,
 * lsjson, about, sync, deletefile, moveto, mkdir, rmdir, copyto, purge over nested folders, names
 * with spaces and non-ASCII, an empty folder and a 3 MB file. rclone reads metadata with an
 * empty PROPFIND and no Accept header (RFC 4918 §9.1 allprop): it must get a 207, not JSON.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';
import { runProcess } from '../../helpers/spawn.js';

const A: [string, string] = ['alice@example.com', 'pw-alice'];
const rclone = spawnSync('sh', ['-c', 'command -v rclone']).stdout.toString().trim();

/** Run rclone with the `rm:` remote pointing at `url`; bounded retries so a failure fails fast. */
async function run(url: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const pass = spawnSync(rclone, ['obscure', A[1]]).stdout.toString().trim();
  const env = {
    ...process.env, RCLONE_CONFIG: '/dev/null', RCLONE_CONFIG_RM_TYPE: 'webdav', RCLONE_CONFIG_RM_URL: url,
    RCLONE_CONFIG_RM_VENDOR: 'other', RCLONE_CONFIG_RM_USER: A[0], RCLONE_CONFIG_RM_PASS: pass,
  };
  const bounded = ['--retries', '1', '--low-level-retries', '1', '--contimeout', '10s', '--timeout', '60s'];
  const r = await runProcess(rclone, [...args, ...bounded], { env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

interface LsEntry { Path: string; Size: number; IsDir: boolean; ModTime: string }

t.test('rclone drives the drive as a WebDAV remote', { skip: rclone && existsSync(rclone) ? false : 'rclone not installed (apt-get install rclone)' }, async (t) => {
  const s = await startTestServer(t);
  await s.addUser(A[0], A[1]);
  const url = `${s.url}/drive/`;
  const local = mkdtempSync(join(tmpdir(), 'rmail-rclone-'));
  t.teardown(() => rmSync(local, { recursive: true, force: true }));
  const src = join(local, 'src');
  const big = randomBytes(3 * 1024 * 1024);
  const files: Record<string, string | Buffer> = {
    'a.txt': 'hello\n',
    'sub dir/b b.txt': 'x'.repeat(100),
    'sub dir/déép/big.bin': big,
    'sub dir/déép/ünï/😀 emoji (1).txt': 'e',
  };
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(src, rel, '..'), { recursive: true });
    writeFileSync(join(src, rel), body);
  }
  mkdirSync(join(src, 'empty'));
  const ok = async (args: string[], what: string) => {
    const r = await run(url, args);
    t.equal(r.code, 0, `${what}${r.code ? `: ${r.err.slice(-400)}` : ''}`);
    return r;
  };

  await ok(['copy', src, 'rm:rc', '--create-empty-src-dirs'], 'copy');
  const check = await ok(['check', src, 'rm:rc'], 'check');
  t.match(check.err, '0 differences found');
  t.match(check.err, '4 matching files');
  const ls = JSON.parse((await ok(['lsjson', '-R', 'rm:rc'], 'lsjson')).out) as LsEntry[];
  t.same(ls.filter((e) => !e.IsDir).map((e) => [e.Path, e.Size]).sort(),
    Object.entries(files).map(([p, b]) => [p, Buffer.byteLength(b)]).sort(), 'lsjson: every file with its size');
  t.same(ls.filter((e) => e.IsDir).map((e) => e.Path).sort(), ['empty', 'sub dir', 'sub dir/déép', 'sub dir/déép/ünï'], 'lsjson: folders, the empty one too');
  const listing = (await request(`${url}rc/sub%20dir/d%C3%A9%C3%A9p`, { basic: A })).json;
  const bigEntry = listing.children.find((c: { name: string }) => c.name === 'big.bin');
  t.equal(bigEntry.size, big.length, 'server agrees on the size');
  t.equal(Date.parse(ls.find((e) => e.Path === 'sub dir/déép/big.bin')!.ModTime) / 1000, Math.floor(bigEntry.mtime), 'ModTime is the server mtime (getlastmodified)');
  t.same(Buffer.from(await (await fetch(`${url}rc/sub%20dir/d%C3%A9%C3%A9p/big.bin`, { headers: { authorization: `Basic ${Buffer.from(A.join(':')).toString('base64')}` } })).arrayBuffer()), big, 'the 3 MB file arrived whole');

  const about = JSON.parse((await ok(['about', 'rm:', '--json'], 'about (RFC 4331 quota properties)')).out) as { total: number; used: number; free: number };
  t.equal(about.used, Object.values(files).reduce((n, b) => n + Buffer.byteLength(b), 0), 'about: used = the bytes stored');
  t.equal(about.total, about.used + about.free, 'about: total = used + free');

  writeFileSync(join(src, 'sub dir/b b.txt'), 'changed');
  rmSync(join(src, 'a.txt'));
  writeFileSync(join(src, 'new.txt'), 'new');
  await ok(['sync', src, 'rm:rc', '--create-empty-src-dirs'], 'sync');
  t.match((await ok(['check', src, 'rm:rc'], 'check after sync')).err, '0 differences found');
  t.equal((await request(`${url}rc/a.txt`, { basic: A })).status, 404, 'sync deleted the removed file');
  t.equal((await request(`${url}rc/sub%20dir/b%20b.txt`, { basic: A })).text, 'changed', 'sync replaced the changed file');

  await ok(['deletefile', 'rm:rc/new.txt'], 'deletefile');
  t.equal((await request(`${url}rc/new.txt`, { basic: A })).status, 404);
  await ok(['moveto', 'rm:rc/sub dir/b b.txt', 'rm:rc/moved ü.txt'], 'moveto');
  t.equal((await request(`${url}rc/moved%20%C3%BC.txt`, { basic: A })).text, 'changed');
  t.equal((await request(`${url}rc/sub%20dir/b%20b.txt`, { basic: A })).status, 404);
  await ok(['mkdir', 'rm:rc/new dir/deeper'], 'mkdir nested');
  t.match((await request(`${url}rc/new%20dir/deeper`, { basic: A })).json, { type: 'dir' });
  await ok(['rmdir', 'rm:rc/new dir/deeper'], 'rmdir empty');
  t.equal((await request(`${url}rc/new%20dir/deeper`, { basic: A })).status, 404);
  const full = await run(url, ['rmdir', 'rm:rc/sub dir']);
  t.not(full.code, 0, 'rmdir of a non-empty folder fails');
  t.equal((await request(`${url}rc/sub%20dir/d%C3%A9%C3%A9p/big.bin`, { basic: A })).status, 200, 'and removes nothing');
  await ok(['copyto', 'rm:rc/sub dir/déép/big.bin', join(local, 'big.dl')], 'copyto (download)');
  t.same(readFileSync(join(local, 'big.dl')), big, 'downloaded bytes equal');
  t.equal((await ok(['cat', 'rm:rc/sub dir/déép/ünï/😀 emoji (1).txt'], 'cat')).out, 'e');
  t.equal((await ok(['cat', '--offset', '2', '--count', '3', 'rm:rc/moved ü.txt'], 'cat with a range')).out, 'ang');
  await ok(['purge', 'rm:rc'], 'purge');
  t.equal((await request(`${url}rc`, { basic: A })).status, 404, 'purged');
  t.match((await request(`${url}`, { basic: A })).json, { total_files: 0, total_bytes: 0 }, 'drive totals back to zero');
});
