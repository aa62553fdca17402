/** Launch Debian's chromium through playwright-core for browser tests (fresh profile, no network noise). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian puts chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** True when the browser is installed (tests skip otherwise). */
export const haveChromium = (): boolean => existsSync(CHROMIUM);

/** Start a headless chromium with a fresh profile; closed and removed at teardown. */
export async function launchBrowser(t: { teardown(fn: () => unknown): void }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'rmail-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.teardown(async () => {
    await ctx.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });
  return ctx;
}

/**
 * Where a browser test writes its screenshots: `docs/screenshots/` when `RMAIL_SCREENSHOTS=1`
 * (`npm run screenshots` refreshes the README's pictures), else a temp directory removed at
 * teardown, so a test run leaves the working tree as it found it.
 */
export function screenshotDir(t: { teardown(fn: () => unknown): void }): string {
  if (process.env['RMAIL_SCREENSHOTS'] === '1') return fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'rmail-shots-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return `${dir}/`;
}
