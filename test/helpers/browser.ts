/** Launch Debian's chromium through playwright-core for browser tests (fresh profile, no network noise). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
