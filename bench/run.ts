/** `npm run bench [name...]`: run the named workloads (default all) and print one table. */
import type { Bench, Row } from './types.js';

const BENCHES: Record<string, () => Promise<{ run: Bench }>> = {
  caldav: () => import('./caldav.js'),
  drive: () => import('./drive.js'),
  http: () => import('./http.js'),
  imap: () => import('./imap.js'),
  smtp: () => import('./smtp.js'),
  soak: () => import('./soak.js'),
  mailstore: () => import('./mailstore.js'),
  webmail: () => import('./webmail.js'),
};

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? '' : n >= 100 ? String(Math.round(n)) : n.toFixed(digits);
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const args = process.argv.slice(2).filter((a) => a.startsWith('--'));
  const selected = names.length ? names : Object.keys(BENCHES);
  const rows: Row[] = [];
  for (const name of selected) {
    const load = BENCHES[name];
    if (!load) {
      console.error(`unknown bench ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
      process.exit(2);
    }
    const mod = await load();
    rows.push(...(await mod.run(args)));
  }
  const header = ['workload', 'ops/s', 'p50 ms', 'p99 ms', 'peak MB', 'note'];
  const lines = rows.map((r) => [r.name, fmt(r.ops_per_s), fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.peak_rss_mb, 0), r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(row(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
  process.exit(0);
}

void main();
