/**
 * The crash harness's bounded steps: `within` names a step that did not finish, and the watchdog
 * thread ends a process whose event loop is starved (which no main-thread timer can), naming the step.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within, StuckError } from './watchdog.js';

t.test('within: the value, the error, or a StuckError naming the step', async (t) => {
  t.equal(await within('quick', 1000, Promise.resolve(7)), 7);
  await t.rejects(within('failing', 1000, Promise.reject(new Error('boom'))), { message: 'boom' });
  const err = await within('never settles', 50, new Promise(() => {})).catch((e: unknown) => e);
  t.ok(err instanceof StuckError, 'a StuckError');
  t.match((err as Error).message, /never settles did not finish within 50 ms/);
});

t.test('watchdog: a starved event loop is killed, the step named on stderr', async (t) => {
  const mod = fileURLToPath(new URL('./watchdog.ts', import.meta.url));
  // The child starts a 300 ms step and then never yields to its event loop.
  const code = `const { Watchdog } = await import(${JSON.stringify(mod)});
    const dog = new Watchdog();
    dog.step('busy loop step', 300);
    const until = Date.now() + 20000;
    while (Date.now() < until) {}
    console.log('not killed');`;
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const [codeOrNull, signal] = await new Promise<[number | null, string | null]>((r) => child.on('close', (c, s) => r([c, s])));
  t.equal(signal, 'SIGKILL', `killed (exit ${codeOrNull}, stderr: ${err.slice(-300)})`);
  t.equal(out, '', 'the busy loop never finished');
  t.match(err, /watchdog: step "busy loop step" still running after 300 ms/);
});
