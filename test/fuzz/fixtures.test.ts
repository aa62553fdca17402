/**
 * Replays the Jazzer.js findings kept in test/fixtures/fuzz/<target>/ (and a bounded slice of each
 * corpus in fuzz/corpus/<target>/) through the same fuzz targets, on the compiled dist/ that
 * `npm test` builds first. Every replay must finish without throwing.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const targets = readdirSync(join(repo, 'fuzz')).filter((f) => f.endsWith('.fuzz.js')).map((f) => f.slice(0, -8));
const CORPUS_SLICE = Number(process.env.FUZZ_CORPUS_REPLAY ?? 40);

const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => join(dir, f)) : []);

for (const target of targets) {
  t.test(target, { skip: existsSync(join(repo, 'dist/main/cli.js')) ? false : 'dist/ not built (npm test builds it first)' }, async (t) => {
    const mod = (await import(join(repo, 'fuzz', `${target}.fuzz.js`))) as { fuzz(data: Buffer): unknown };
    const crashers = files(join(repo, 'test/fixtures/fuzz', target));
    const corpus = files(join(repo, 'fuzz/corpus', target)).slice(0, CORPUS_SLICE);
    for (const f of crashers) {
      await t.resolves(async () => mod.fuzz(readFileSync(f)), `fixed finding ${f.slice(repo.length)}`);
    }
    let failed = 0;
    for (const f of corpus) {
      try {
        await mod.fuzz(readFileSync(f));
      } catch (err) {
        failed++;
        t.fail(`corpus ${f.slice(repo.length)}: ${(err as Error).message}`);
      }
    }
    t.equal(failed, 0, `${corpus.length} corpus inputs replay cleanly`);
  });
}
