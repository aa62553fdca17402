// `npm run fuzz [-- --seconds N] [target ...]`: run each Jazzer.js target (fuzz/<t>.fuzz.js, on the
// compiled dist/) for N seconds (default FUZZ_SECONDS or 60) with corpus fuzz/corpus/<t>/; crashers
// land in test/fixtures/fuzz/<t>/ where test/fuzz/fixtures.test.ts replays them.
import { spawnSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const TARGETS = readdirSync(here).filter((f) => f.endsWith('.fuzz.js')).map((f) => f.slice(0, -8)).sort();
const ASYNC = new Set(['json-body', 'multipart']);

const args = process.argv.slice(2);
let seconds = Number(process.env.FUZZ_SECONDS ?? 60);
const chosen = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') seconds = Number(args[++i]);
  else chosen.push(args[i]);
}
for (const t of chosen) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}; have ${TARGETS.join(', ')}`);

/** The command prefix that starts node: plain, or through Debian 13's glibc loader when needed. */
function nodeCommand() {
  const require = createRequire(import.meta.url);
  const addon = join(dirname(require.resolve('@jazzer.js/fuzzer/package.json')), 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { encoding: 'utf8' });
  if (probe.status === 0) return [process.execPath];
  if (!/GLIBC_/.test(probe.stderr)) throw new Error(`cannot load the Jazzer.js addon: ${probe.stderr}`);
  const dir = process.env.RMAIL_FUZZ_GLIBC ?? '/tmp/rmail-fuzz-glibc';
  const r = spawnSync('bash', [join(here, 'glibc.sh'), dir], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not fetch a glibc >= 2.38 for the Jazzer.js addon');
  const lib = join(dir, 'root/usr/lib/x86_64-linux-gnu');
  return [join(lib, 'ld-linux-x86-64.so.2'), '--library-path', lib, process.execPath];
}

function runTarget(prefix, target) {
  const corpus = join(here, 'corpus', target);
  const crashes = join(repo, 'test/fixtures/fuzz', target);
  mkdirSync(corpus, { recursive: true });
  mkdirSync(crashes, { recursive: true });
  const before = new Set(readdirSync(crashes));
  const jazzer = join(repo, 'node_modules/@jazzer.js/core/dist/cli.js');
  const argv = [...prefix.slice(1), jazzer, join(here, `${target}.fuzz.js`), corpus, ...(ASYNC.has(target) ? [] : ['--sync']),
    '--', `-max_total_time=${seconds}`, `-artifact_prefix=${crashes}/`, '-max_len=8192', '-timeout=10', '-rss_limit_mb=3000'];
  return new Promise((resolve) => {
    const child = spawn(prefix[0], argv, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    const keep = (d) => { last = (last + d).slice(-4000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      const found = readdirSync(crashes).filter((f) => !before.has(f));
      const runs = /Done (\d+) runs/.exec(last)?.[1] ?? '?';
      const cov = [...last.matchAll(/cov: (\d+)/g)].pop()?.[1] ?? '?';
      console.log(JSON.stringify({ target, seconds, exit: code, runs: Number(runs) || runs, cov: Number(cov) || cov, corpus: readdirSync(corpus).length, new_crashers: found }));
      if (code !== 0 && found.length === 0) console.error(last.slice(-1500));
      resolve(found.length);
    });
  });
}

const prefix = nodeCommand();
let total = 0;
for (const t of chosen.length ? chosen : TARGETS) total += await runTarget(prefix, t);
process.exitCode = total > 0 ? 1 : 0;
