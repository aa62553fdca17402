/**
 * Chromium drives the calendar (create and edit an event from each view: month, week, day,
 * agenda) and the drive (upload a folder with webkitdirectory, share it, open the public view).
 * Screenshots of the month view and the drive (desktop and 375 px phone) go to docs/screenshots/ with
 * RMAIL_SCREENSHOTS=1 (`npm run screenshots`), else to a temp directory.
 */
import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/server.js';
import { haveChromium, launchBrowser, screenshotDir } from '../../helpers/browser.js';

const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

t.test('calendar and drive in chromium', { skip: haveChromium() ? false : 'chromium not installed' }, async (t) => {
  const s = await startTestServer(t, { hostname: '127.0.0.1' });
  await s.addUser('alice@example.com', 'pw-alice');
  const base = s.config.public_url;
  const ctx = await launchBrowser(t);
  const SHOTS = screenshotDir(t);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${base}/webmail/login`);
  await page.fill('input[name=username]', 'alice@example.com');
  await page.fill('input[name=password]', 'pw-alice');
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX`), page.click('button[type=submit]')]);

  const today = ymd(Date.now());
  const views = ['month', 'week', 'day', 'agenda'] as const;
  for (const [i, view] of views.entries()) {
    await page.goto(`${base}/webmail/calendar/${view}?date=${today}`);
    t.ok(await page.isVisible(view === 'agenda' ? '.agenda-list' : `.cal-grid.${view}`), `${view} grid`);
    await Promise.all([page.waitForURL(/event\/new/), page.click('a.cal-new')]);
    await page.fill('input[name=summary]', `Event from ${view}`);
    await page.fill('input[name=start]', `${String(9 + i).padStart(2, '0')}:00`);
    await page.fill('input[name=end]', `${String(9 + i).padStart(2, '0')}:45`);
    if (view === 'month') {
      await page.selectOption('select[name=repeat]', 'DAILY');
      await page.fill('input[name=count]', '3');
    }
    await Promise.all([page.waitForURL(/\/webmail\/calendar\/event\/default\/[0-9a-f-]{36}$/), page.click('button.action-save')]);
    const uid = await page.getAttribute('article.event-detail', 'data-uid');
    await page.goto(`${base}/webmail/calendar/${view}?date=${today}`);
    const chip = page.locator(`.cal-event[data-uid="${uid}"][data-calendar="default"]`).first();
    t.ok(await chip.isVisible(), `${view}: the new event shows`);
    await Promise.all([page.waitForURL(/event\/default\//), chip.click()]);
    await Promise.all([page.waitForURL(/\/edit$/), page.click('a.action-edit')]);
    await page.fill('input[name=summary]', `Edited in ${view}`);
    await Promise.all([page.waitForURL(/\/webmail\/calendar\/event\/default\/[0-9a-f-]{36}$/), page.click('button.action-save')]);
    t.equal(await page.textContent('.event-summary'), `Edited in ${view}`);
    await page.goto(`${base}/webmail/calendar/${view}?date=${today}`);
    t.match(await page.locator(`.cal-event[data-uid="${uid}"]`).first().textContent(), `Edited in ${view}`, `${view}: edit shows`);
  }
  await page.goto(`${base}/webmail/calendar/month?date=${today}`);
  t.ok((await page.locator('.cal-event').count()) >= 4 + 2, 'daily repeats drawn in the month');
  await page.screenshot({ path: `${SHOTS}calendar-month-desktop.png` });
  await page.goto(`${base}/webmail/calendar/week?date=${today}`);
  await page.screenshot({ path: `${SHOTS}calendar-week-desktop.png` });

  // drive: upload a folder with webkitdirectory, then share it
  const dir = mkdtempSync(join(tmpdir(), 'rmail-upload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const top = join(dir, 'holiday');
  mkdirSync(join(top, 'photos'), { recursive: true });
  writeFileSync(join(top, 'itinerary.pdf'), '%PDF-1.4 plan');
  writeFileSync(join(top, 'photos', 'beach.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  writeFileSync(join(top, 'notes.md'), '# notes');
  await page.goto(`${base}/webmail/drive/`);
  await page.locator('form.upload-folder input[type=file]').setInputFiles(top);
  await Promise.all([page.waitForURL(`${base}/webmail/drive/`), page.click('form.upload-folder button[type=submit]')]);
  t.ok(await page.isVisible('.tile-wrap[data-path="holiday"][data-type="dir"]'), 'folder uploaded with its structure');
  t.ok(await s.services.drive.stat('alice@example.com', ['holiday', 'photos', 'beach.jpg']), 'nested file on disk');
  await page.locator('form.upload-files input[type=file]').setInputFiles([join(top, 'notes.md')]);
  await Promise.all([page.waitForURL(`${base}/webmail/drive/`), page.click('form.upload-files button[type=submit]')]);
  await page.fill('form.new-folder input[name=name]', 'Projects/2026');
  await Promise.all([page.waitForURL(`${base}/webmail/drive/`), page.click('form.new-folder button[type=submit]')]);
  t.equal(await page.getAttribute('section.drive-grid', 'data-total-files'), '4');
  t.equal(await page.isVisible('.bulk-bar'), false);
  await page.check('.tile-wrap[data-path="notes.md"] input.row-check');
  t.equal(await page.isVisible('.bulk-bar'), true, 'bulk bar on selection');
  await page.uncheck('.tile-wrap[data-path="notes.md"] input.row-check');
  await page.screenshot({ path: `${SHOTS}drive-desktop.png` });
  await Promise.all([page.waitForURL(/\/webmail\/drive\/holiday\/_share$/), page.click('.tile-wrap[data-path="holiday"] a.tile-share')]);
  await page.fill('#sh-name', 'Holiday');
  await page.check('input[name=perm][value=C]');
  await Promise.all([page.waitForURL(/_share$/), page.click('button.action-create-share')]);
  const url = await page.getAttribute('li.share-row input.share-url', 'value');
  t.match(url, /\/drive\/[A-Za-z0-9_-]{32}\/Holiday$/);

  // the public link in a fresh context
  const visitor = await ctx.browser()?.newContext() ?? ctx;
  const vp = await (visitor === ctx ? ctx.newPage() : visitor.newPage());
  if (visitor === ctx) await ctx.clearCookies();
  await vp.goto(url!);
  t.match(vp.url(), /\/webmail\/drive\/[A-Za-z0-9_-]{32}\/Holiday/);
  t.equal(await vp.getAttribute('section.drive-grid', 'data-total-files'), '3');
  t.ok(await vp.isVisible('form.new-folder'), 'C: new folder offered');
  t.equal(await vp.locator('form.upload-files').count(), 0, 'no U: no upload');
  await vp.click('.tile-wrap[data-path="photos"] a.tile-dir');
  t.equal(await vp.getAttribute('section.drive-grid', 'data-path'), 'photos');
  await vp.setViewportSize({ width: 375, height: 740 });
  await vp.screenshot({ path: `${SHOTS}drive-shared-phone.png` });

  // phone width: month view and the drive
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(`${base}/webmail/calendar/month?date=${today}`);
  await page.screenshot({ path: `${SHOTS}calendar-month-phone.png` });
  await page.goto(`${base}/webmail/drive/`).catch(() => {});
  if (!page.url().endsWith('/webmail/drive/')) {
    await page.goto(`${base}/webmail/login`);
  }
  await page.screenshot({ path: `${SHOTS}drive-phone.png` });
  t.same(errors, [], 'no page errors');
});
