/**
 * Crash injection (issue 9): CRASH_KILLS (default 20) rounds of mixed load over every protocol,
 * `kill -9` at a random moment, restart and check. `npm run crash` runs 500 rounds.
 *
 * Every step of a round has a budget (`within`), and a watchdog thread ends the run loudly, naming
 * the step, if the harness's own event loop stops turning: a run fails, it never hangs.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/spawn.js';
import { Model } from './model.js';
import { prepare, startChild, kill9, killAfter, load, check, START_MS, EXIT_MS, type Child } from './harness.js';
import { Watchdog, within } from './watchdog.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
/** Stop starting new rounds after this many minutes (the long run on a busy machine). */
const MINUTES = Number(process.env.CRASH_MINUTES ?? 0);
/** Budgets per step (generous: a loaded 2-core machine). The watchdog allows GRACE_MS more. */
const CHECK_MS = 180_000;
const LOAD_MS = 3_000 + 6 * EXIT_MS + 3_000 + 30_000; // longest kill delay + its exit + settle time + the logins
const GRACE_MS = 30_000;
// Each round restarts a real server (1-6 s on a loaded 2-core machine): past the suite's 120 s.
t.setTimeout(Math.max(300_000, KILLS * 20_000));

/**
 * Defects this harness found that are still open (issue 9), reported as todo, one assertion per
 * class, while any other finding fails. Add a class only for a defect that is filed and being
 * fixed; remove it once a long run shows none. Fixed and removed: a MOVE or an EXPUNGE of mail cut
 * by the kill (b01c41f), drive `_index.json` not rebuilt after a crash (36c6750), a drive MOVE or
 * COPY with Overwrite: T over a file cut between removing the destination and the move (e15dbb4).
 */
const OPEN_DEFECTS: { name: string; match: RegExp }[] = [];

t.test(`kill -9 under mixed load, ${KILLS} times`, { skip: existsSync(CLI) ? false : 'dist/ not built (npm test builds it)', timeout: 0 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmail-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = await prepare(dir);
  const model = new Model();
  const dog = new Watchdog();
  t.teardown(() => dog.close());
  let child: Child | null = null;
  t.teardown(() => { if (child) child.proc.kill('SIGKILL'); });
  const debug = (s: string) => { if (process.env.CRASH_DEBUG) console.error(s); };

  /** One bounded step, watched from the other thread too. */
  const step = async <T>(name: string, ms: number, run: () => Promise<T>): Promise<T> => {
    dog.step(name, ms + GRACE_MS);
    try {
      return await within(name, ms, run());
    } finally {
      dog.idle();
    }
  };
  const start = () => step('server start', START_MS + 5_000, () => startChild(config, (p) => dog.track(p.pid)));
  const stopChild = async (c: Child) => {
    await step('kill -9 of the server', 6 * EXIT_MS + 5_000, () => kill9(c));
    dog.untrack(c.proc.pid);
  };
  const verifyAfterRestart = (round: number, c: Child) => step(`check after restart ${round}`, CHECK_MS, () => checkOrRecord(model, c, join(dir, 'store')));

  const started = Date.now();
  let lostExits = 0;
  let lostSeen = 0;
  let violationsSeen = 0;
  for (let round = 0; round < KILLS; round++) {
    if (MINUTES && Date.now() - started > MINUTES * 60_000) break;
    const t0 = Date.now();
    child = await start();
    const t1 = Date.now();
    if (round > 0) await verifyAfterRestart(round, child);
    const t2 = Date.now();
    const c = child;
    const kill = killAfter(c, 300 + Math.random() * 2700);
    await step(`load of round ${round}`, LOAD_MS, () => load(model, c, kill.stop));
    if (kill.failed()) throw kill.failed();
    await stopChild(c); // already gone: only confirms it
    if (c.lostExit) lostExits++;
    model.tally.kills++;
    child = null;
    debug(`round ${round}: start ${t1 - t0} ms, check ${t2 - t1} ms, load ${Date.now() - t2} ms, acked ${model.tally.acked}, lost ${model.tally.lost.length}, violations ${model.tally.violations.length}`);
    for (const f of [...model.tally.lost.slice(lostSeen).map((l) => `lost: ${l}`), ...model.tally.violations.slice(violationsSeen)]) debug(`  found after restart ${round}: ${f.slice(0, 400)}`);
    lostSeen = model.tally.lost.length;
    violationsSeen = model.tally.violations.length;
  }
  child = await start();
  await verifyAfterRestart(model.tally.kills, child);
  await stopChild(child);
  child = null;
  dog.idle();

  const tally = { ...model.tally, seconds: Math.round((Date.now() - started) / 1000) };
  // lostExits: kills whose 'exit' event Node never delivered (the process was gone; see kill9).
  const summary = { planned: KILLS, kills: tally.kills, acked: tally.acked, unacked: tally.unacked, lost: tally.lost.length, violations: tally.violations.length, seconds: tally.seconds, lostExits };
  t.comment(JSON.stringify(summary));
  const unackedWhy = Object.fromEntries([...model.unackedWhy].sort((a, b) => b[1] - a[1]));
  if (process.env.CRASH_DEBUG) console.error(`unacknowledged writes by operation and reason: ${JSON.stringify(unackedWhy)}`);
  if (process.env.CRASH_REPORT) writeFileSync(process.env.CRASH_REPORT, JSON.stringify({ ...summary, unackedWhy, lostDetail: tally.lost.slice(0, 100), violationDetail: tally.violations.slice(0, 100) }, null, 2));
  t.ok(tally.kills >= Math.min(KILLS, 1), `${tally.kills} kills`);
  t.ok(tally.acked > tally.kills, `writes were acknowledged (${tally.acked})`);

  const findings = [...tally.lost.map((s) => `lost: ${s}`), ...tally.violations];
  const known = (f: string) => OPEN_DEFECTS.find((d) => d.match.test(f.replace(/^lost: /, '')));
  t.same(findings.filter((f) => !known(f)), [], 'no acknowledged write lost; no duplicate, half-visible write, backwards UID or index/file disagreement');
  for (const d of OPEN_DEFECTS) {
    const mine = findings.filter((f) => known(f) === d);
    if (mine.length) t.same(mine, [], { todo: `open defect: ${d.name}` });
    else t.pass(`none of: ${d.name}`);
  }
});

/** Run the check; a request that fails (the restarted server died or dropped it) is a violation. */
async function checkOrRecord(model: Model, child: Child, root: string): Promise<void> {
  try {
    await check(model, child, root);
  } catch (err) {
    const exit = child.proc.exitCode ?? child.proc.signalCode;
    model.violation(`check failed after restart: ${(err as Error).message}; server ${exit === null ? 'alive' : `exited ${exit}`}; stderr: ${child.stderr().slice(-600)}`);
  }
}
