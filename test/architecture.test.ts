/** Reads every import line under src/ and fails on a broken import rule (STYLE.md, "Import rule"). */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer of a file: its first folder under src (workers task files are their own layer). */
function layer(file: string): string {
  const rel = relative(SRC, file).split('/');
  if (rel[0] === 'http' && rel[1] === 'webmail' && rel[2] === 'views') return 'views';
  if (rel[0] === 'workers') return rel[1] === 'pool.ts' ? 'pool' : 'worker-task';
  return rel[0]!;
}

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  main: ['common', 'store', 'actors', 'services', 'pool', 'http', 'imap', 'smtp', 'views'],
  http: ['services', 'actors', 'store', 'pool', 'common', 'views'],
  imap: ['services', 'actors', 'store', 'pool', 'common'],
  smtp: ['services', 'actors', 'store', 'pool', 'common'],
  services: ['actors', 'store', 'pool', 'common'],
  actors: ['store', 'pool', 'common'],
  store: ['common'],
  pool: ['common', 'worker-task'],
  'worker-task': ['common'],
  views: ['common'],
  common: [],
};

t.test('import rules of STYLE.md hold for every file under src/', async (t) => {
  const broken: string[] = [];
  const files = walk(SRC);
  for (const file of files) {
    const from = layer(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
      const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
      if (!target.startsWith(SRC)) continue;
      const to = layer(target);
      // `import type` of a worker task's input/output types from pool.ts is how tasks are typed.
      if (to === from || ALLOWED[from]?.includes(to)) continue;
      if (from === 'pool' && to === 'worker-task') continue;
      const typeOnly = /^\s*(?:import|export)\s+type\s/.test(m[0]);
      if (typeOnly && to !== 'main') continue;
      broken.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
    }
  }
  t.ok(files.length > 10, 'found the sources');
  t.same(broken, [], 'no broken import rule');
});

t.test('only src/http/uws.ts imports uWebSockets.js, only pool.ts imports piscina', async (t) => {
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(SRC, file);
    if (/from 'uWebSockets\.js'/.test(text)) t.equal(rel, 'http/uws.ts', `${rel} imports uWebSockets.js`);
    if (/from 'piscina'/.test(text)) t.equal(rel, 'workers/pool.ts', `${rel} imports piscina`);
  }
});
