/**
 * Chromium (playwright-core) drives the webmail: log in, read, page through a folder, bulk
 * select, reply, compose, move, delete; a hostile HTML mail runs nothing and loads nothing.
 * Screenshots (desktop and 375 px phone) go to docs/screenshots/ with
 * RMAIL_SCREENSHOTS=1 (`npm run screenshots`), else to a temp directory.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { plainMessage, hostileHtmlMessage } from '../../helpers/mail-fixtures.js';
import { haveChromium, launchBrowser, screenshotDir } from '../../helpers/browser.js';


t.test('webmail in chromium', { skip: haveChromium() ? false : 'chromium not installed' }, async (t) => {
  const s = await startTestServer(t, { hostname: '127.0.0.1' });
  await s.addUser('alice@example.com', 'pw-alice');
  await s.addUser('bob@example.com', 'pw-bob');
  const id = 'alice@example.com';
  const mail = s.services.mail;
  const subjects = ['Quarterly report', 'Lunch on Friday?', 'Your invoice', 'Re: project kickoff', 'Weekly digest', 'Server maintenance window'];
  for (let i = 1; i <= 60; i++) {
    await mail.append(id, 'INBOX', { data: plainMessage(i, { subject: `${subjects[i % subjects.length]} #${i}` }) }, i % 3 === 0 ? { flags: ['\\Seen'] } : {});
  }
  await mail.setFlags(id, 'INBOX', [58, 55], 'add', ['\\Flagged']);
  const hostile = await mail.append(id, 'INBOX', { data: hostileHtmlMessage() });
  const base = s.config.public_url;
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);

  const ctx = await launchBrowser(t);
  const SHOTS = screenshotDir(t);
  const page = await ctx.newPage();
  const errors: string[] = [];
  const remote: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (r.url().startsWith('http://127.0.0.1:9/')) remote.push(r.url()); });
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });

  // log in
  await page.goto(`${base}/webmail/login`);
  await page.screenshot({ path: `${SHOTS}login-desktop.png` });
  await page.fill('input[name=username]', 'alice@example.com');
  await page.fill('input[name=password]', 'pw-alice');
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX`), page.click('button[type=submit]')]);
  t.equal(await page.textContent('span.current-user'), 'alice@example.com');
  t.equal(await page.locator('tr.message-row').count(), 50);
  t.equal(await page.getAttribute('li.folder-item.active', 'data-folder'), 'INBOX');
  t.equal(await page.isVisible('.bulk-bar'), false, 'bulk bar hidden until a row is checked');
  await page.screenshot({ path: `${SHOTS}inbox-desktop.png` });

  // bulk: check two rows, the bar appears, mark them read
  await page.check('tr.message-row[data-uid="60"] input.row-check');
  await page.check('tr.message-row[data-uid="59"] input.row-check');
  t.equal(await page.isVisible('.bulk-bar'), true, 'bulk bar shows through :has(input.row-check:checked)');
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX`), page.click('.bulk-bar button.bulk-read')]);
  t.notOk(await page.locator('tr.message-row[data-uid="59"]').evaluate((el) => el.classList.contains('unread')));

  // page through the folder
  await Promise.all([page.waitForURL(/offset=50/), page.click('a.pagination-next')]);
  t.equal(await page.getAttribute('span.page-info', 'data-offset'), '50');
  t.equal(await page.locator('tr.message-row').count(), 11);
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX`), page.click('a.pagination-prev')]);

  // the hostile message: nothing runs, nothing remote loads
  await page.click(`tr.message-row[data-uid="${hostile.uid}"] a.message-link`);
  await page.waitForSelector('article.msg-detail');
  await page.waitForTimeout(300);
  t.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'no script ran');
  t.same(remote, [], 'no remote request');
  t.ok(await page.isVisible('a.allow-remote'));
  t.equal(await page.locator('section.attachments span.attachment-item').count(), 1);

  // read a normal message and reply
  await page.goto(`${base}/webmail/INBOX/58`);
  t.equal(await page.textContent('h2.msg-subject'), `${subjects[58 % subjects.length]} #58`);
  await page.screenshot({ path: `${SHOTS}message-desktop.png` });
  await Promise.all([page.waitForURL(/compose\?mode=reply/), page.click('a.action-reply')]);
  t.match(await page.inputValue('input[name=subject]'), /^Re: /);
  await page.fill('input[name=to]', 'bob@example.com');
  await page.locator('textarea[name=body]').press('Control+Home');
  await page.locator('textarea[name=body]').type('Sounds good.');
  await Promise.all([page.waitForURL(`${base}/webmail/Sent`), page.click('button.action-send')]);
  t.equal(await page.locator('tr.message-row').count(), 1, 'reply filed in Sent');
  const bob = await mail.folder('bob@example.com', 'INBOX');
  t.equal(bob.messages.length, 1, 'bob received the reply');
  t.equal((await mail.summary('bob@example.com', 'INBOX', bob.messages[0]!.uid)).envelope.inReplyTo, '<msg-58@remote.example>');

  // compose a new message
  await page.click('a.compose-button');
  await page.fill('input[name=to]', 'bob@example.com');
  await page.fill('input[name=subject]', 'Hello from the browser');
  await page.fill('textarea[name=body]', 'Typed in chromium.');
  await page.locator('input[name=attachments]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('attached from the browser') });
  await Promise.all([page.waitForURL(`${base}/webmail/Sent`), page.click('button.action-send')]);
  const bobNow = await mail.folder('bob@example.com', 'INBOX');
  t.equal(bobNow.messages.length, 2);
  t.same((await mail.summary('bob@example.com', 'INBOX', bobNow.messages[1]!.uid)).attachments.map((a) => a.filename), ['notes.txt'], 'attachment sent');

  // star, move, delete
  await page.goto(`${base}/webmail/INBOX/57`);
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX/57`), page.click('button.action-toggle-star')]);
  t.ok((await mail.folder(id, 'INBOX')).byUid(57)!.flags.includes('\\Flagged'));
  await page.selectOption('select[name=target]', 'Archive');
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX`), page.click('button.action-move')]);
  t.equal((await mail.folder(id, 'Archive')).messages.length, 1, 'moved to Archive');
  await page.goto(`${base}/webmail/INBOX/56`);
  await Promise.all([page.waitForURL(`${base}/webmail/INBOX`), page.click('button.action-delete')]);
  t.notOk((await mail.folder(id, 'INBOX')).byUid(56), 'deleted from INBOX');
  t.equal((await mail.folder(id, 'Trash')).messages.length, 1, 'in Trash');

  // phone width
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(`${base}/webmail/INBOX`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.ok(overflow <= 1, `no horizontal scroll at 375 px (${overflow})`);
  await page.screenshot({ path: `${SHOTS}inbox-phone.png` });
  await page.goto(`${base}/webmail/INBOX/58`);
  await page.screenshot({ path: `${SHOTS}message-phone.png` });
  t.same(errors, [], 'no page errors');
});
