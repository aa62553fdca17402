import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { WebClient } from '../../helpers/webmail.js';
import { plainMessage, hostileHtmlMessage } from '../../helpers/mail-fixtures.js';

t.test('mail screens: selectors, detail, actions, CSRF', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw-alice');
  const mail = s.services.mail;
  const id = 'alice@example.com';
  for (let i = 1; i <= 60; i++) await mail.append(id, 'INBOX', { data: plainMessage(i) }, i % 7 === 0 ? { flags: ['\\Seen'] } : {});
  await mail.setFlags(id, 'INBOX', [2], 'add', ['\\Flagged']);
  const hostile = await mail.append(id, 'INBOX', { data: hostileHtmlMessage() });
  const base = s.config.public_url;
  const c = new WebClient(s.url);
  const inbox = await c.login('alice@example.com', 'pw-alice');
  t.equal(inbox.status, 200);

  // page structure
  t.ok(inbox.$('aside.sidebar'), 'aside.sidebar');
  t.ok(inbox.$('main.content'), 'main.content');
  t.equal(inbox.$('span.current-user')?.textContent, 'alice@example.com');
  const li = inbox.$('li.folder-item.active[data-folder="INBOX"]')!;
  t.ok(li, 'active INBOX folder item');
  t.equal(li.getAttribute('data-total'), '61');
  t.equal(li.getAttribute('data-unread'), String(61 - 8));
  t.equal(li.querySelector('a')!.getAttribute('href'), `${base}/webmail/INBOX`);
  t.equal(li.querySelector('span.count')!.textContent, String(61 - 8));
  for (const name of ['Sent', 'Drafts', 'Trash']) t.ok(inbox.$(`li.folder-item[data-folder="${name}"]`), `${name} listed`);

  // list
  const section = inbox.$('section.message-list[data-folder="INBOX"][data-total="61"]');
  t.ok(section, 'section.message-list');
  const rows = inbox.$$('tr.message-row');
  t.equal(rows.length, 50, 'first page has 50 rows');
  t.equal(rows[0]!.getAttribute('data-uid'), String(hostile.uid), 'newest first');
  t.equal(rows[0]!.getAttribute('data-folder'), 'INBOX');
  t.ok(rows[0]!.classList.contains('unread'));
  const starred = inbox.$('tr.message-row[data-uid="2"]');
  t.notOk(starred, 'uid 2 is on page 2');
  for (const sel of ['td.col-check', 'td.col-star', 'td.col-from .message-from', 'td.col-subject a.message-link .message-subject', 'td.col-date time.message-date']) {
    t.ok(rows[1]!.querySelector(sel), sel);
  }
  t.equal(rows[1]!.querySelector('.message-subject')!.textContent, 'Message number 60');
  t.equal(rows[1]!.querySelector('.message-from')!.textContent, 'Sender 60');
  t.equal(rows[1]!.querySelector('a.message-link')!.getAttribute('href'), `${base}/webmail/INBOX/60`);
  const seenRow = inbox.$('tr.message-row[data-uid="56"]')!;
  t.notOk(seenRow.classList.contains('unread'), 'seen row is not unread');
  t.equal(seenRow.getAttribute('data-flags'), '\\Seen');
  const info = inbox.$('span.page-info')!;
  t.same([info.getAttribute('data-total'), info.getAttribute('data-offset'), info.getAttribute('data-limit')], ['61', '0', '50']);
  t.equal(info.textContent, '1–50 of 61');
  t.notOk(inbox.$('nav.pagination a.pagination-prev'));
  const next = inbox.$('nav.pagination a.pagination-next')!.getAttribute('href')!;
  t.equal(next, `${base}/webmail/INBOX?offset=50`);
  const page2 = await c.get(next);
  t.equal(page2.$$('tr.message-row').length, 11);
  t.ok(page2.$('tr.message-row.flagged[data-uid="2"] td.col-star.flagged'), 'flagged row and star cell');
  t.equal(page2.$('tr.message-row[data-uid="2"]')!.getAttribute('data-flags'), '\\Flagged');
  t.ok(page2.$('nav.pagination a.pagination-prev'));
  for (const a of [...inbox.$$('a[href]'), ...inbox.$$('form[action]')]) {
    const url = a.getAttribute('href') ?? a.getAttribute('action');
    t.ok(url!.startsWith(base), `absolute ${url}`);
  }

  // search
  const found = await c.get('/webmail/INBOX?q=number+42');
  t.equal(found.$$('tr.message-row').length, 1);
  t.equal(found.$('section.message-list')!.getAttribute('data-total'), '1');

  // detail of the hostile HTML message
  const d = await c.get(`/webmail/INBOX/${hostile.uid}`);
  t.equal(d.status, 200);
  const csp = d.headers.get('content-security-policy')!;
  t.match(csp, /script-src 'none'/);
  t.notMatch(csp, /img-src[^;]*\shttps?:(\s|;|$)/, 'no remote images in CSP by default');
  const art = d.$(`article.msg-detail[data-uid="${hostile.uid}"][data-folder="INBOX"]`)!;
  t.ok(art, 'article.msg-detail');
  t.equal(art.querySelector('header.msg-header h2.msg-subject')!.textContent, 'Hostile ✓');
  t.match(art.querySelector('.msg-meta .msg-from .message-from')!.textContent, 'mallory@evil.example');
  t.equal(art.querySelector('.msg-meta .msg-to .message-to')!.textContent, 'alice@example.com');
  t.equal(art.querySelector('.msg-meta .msg-cc .message-cc')!.textContent, 'bob@example.com');
  t.ok(art.querySelector('.msg-meta .msg-date time.message-date'));
  const body = art.querySelector('div.msg-body')!;
  t.match(body.innerHTML, /<b>Alice<\/b>/);
  t.notOk(body.querySelector('script, svg, animate, [onerror], .msg-html [class]'), 'no script, svg, handlers or classes');
  t.notOk(body.querySelector('img[src^="http"]'), 'remote image not loaded');
  t.ok(body.querySelector('img[data-remote-src]'), 'remote image held back');
  t.ok(d.$('a.allow-remote'));
  const atts = d.$('section.attachments[data-count="1"]')!;
  t.ok(atts);
  const item = atts.querySelector('span.attachment-item[data-index="0"][data-filename="report.pdf"] a.attachment-link')!;
  t.ok(item);
  const dl = await fetch(item.getAttribute('href')!.replace(base, s.url), { headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.equal(dl.status, 200);
  t.equal(await dl.text(), '%PDF-1.4 fake report');
  t.match(dl.headers.get('content-disposition'), /attachment; filename="report.pdf"/);
  for (const cls of ['a.action-reply', 'a.action-forward', 'button.action-delete', 'button.action-move', 'button.action-toggle-read', 'button.action-toggle-star']) {
    t.ok(d.$(cls), cls);
  }
  const remote = await c.get(`/webmail/INBOX/${hostile.uid}?remote=1`);
  t.match(remote.headers.get('content-security-policy'), /img-src[^;]*https:/);
  t.ok(remote.$('div.msg-body img[src^="http://127.0.0.1:9/"]'), 'remote image allowed on request');
  const after = (await mail.folder(id, 'INBOX')).byUid(hostile.uid)!;
  t.ok(after.flags.includes('\\Seen'), 'opening marks \\Seen');

  // actions need the CSRF token
  const csrf = WebClient.csrf(d);
  const noToken = await c.post(`/webmail/INBOX/${hostile.uid}/toggle-star`, {});
  t.equal(noToken.status, 403, 'action without CSRF token refused');
  t.notOk((await mail.folder(id, 'INBOX')).byUid(hostile.uid)!.flags.includes('\\Flagged'));
  const star = await c.post(`/webmail/INBOX/${hostile.uid}/toggle-star`, { csrf });
  t.equal(star.status, 303);
  t.ok((await mail.folder(id, 'INBOX')).byUid(hostile.uid)!.flags.includes('\\Flagged'));
  const unread = await c.post(`/webmail/INBOX/${hostile.uid}/toggle-read`, { csrf });
  t.equal(unread.status, 303);
  t.notOk((await mail.folder(id, 'INBOX')).byUid(hostile.uid)!.flags.includes('\\Seen'));
  const mv = await c.post('/webmail/INBOX/1/move', { csrf, target: 'Archive-nope' });
  t.equal(mv.status, 400);
  await mail.createFolder(id, 'Projects');
  t.equal((await c.post('/webmail/INBOX/1/move', { csrf, target: 'Projects' })).status, 303);
  t.equal((await mail.folder(id, 'Projects')).messages.length, 1);
  t.equal((await c.post('/webmail/INBOX/3/delete', { csrf })).status, 303);
  t.equal((await mail.folder(id, 'Trash')).messages.length, 1, 'delete moves to Trash');
  t.notOk((await mail.folder(id, 'INBOX')).byUid(3));
  const trashUid = (await mail.folder(id, 'Trash')).messages[0]!.uid;
  t.equal((await c.post(`/webmail/Trash/${trashUid}/delete`, { csrf })).status, 303);
  t.equal((await mail.folder(id, 'Trash')).messages.length, 0, 'delete in Trash expunges');

  // bulk
  const bulkNoToken = await c.post('/webmail/INBOX/bulk', { uid: ['4', '5'], action: 'read' });
  t.equal(bulkNoToken.status, 403);
  t.equal((await c.post('/webmail/INBOX/bulk', { csrf, uid: ['4', '5'], action: 'star' })).status, 303);
  const v = await mail.folder(id, 'INBOX');
  t.ok(v.byUid(4)!.flags.includes('\\Flagged') && v.byUid(5)!.flags.includes('\\Flagged'));
  t.equal((await c.post('/webmail/INBOX/bulk', { csrf, uid: ['4', '5'], action: 'delete' })).status, 303);
  t.equal((await mail.folder(id, 'Trash')).messages.length, 2);

  // compose: reply prefill, draft
  const reply = await c.get(`/webmail/compose?mode=reply&folder=INBOX&uid=10`);
  t.equal((reply.$('input[name=to]') as any).getAttribute('value'), '"Sender 10" <sender10@remote.example>');
  t.equal((reply.$('input[name=subject]') as any).getAttribute('value'), 'Re: Message number 10');
  t.equal((reply.$('input[name=in_reply_to]') as any).getAttribute('value'), '<msg-10@remote.example>');
  t.match(reply.$('textarea[name=body]')!.textContent, /(>|&gt;) Body of message 10\./);
  const fwd = await c.get(`/webmail/compose?mode=forward&folder=INBOX&uid=10`);
  t.equal((fwd.$('input[name=subject]') as any).getAttribute('value'), 'Fwd: Message number 10');
  const draft = await c.post('/webmail/compose', { csrf, action: 'draft', to: 'bob@example.com', subject: 'Draft one', body: 'later' });
  t.equal(draft.status, 303);
  const drafts = await mail.folder(id, 'Drafts');
  t.equal(drafts.messages.length, 1);
  t.ok(drafts.messages[0]!.flags.includes('\\Draft'));
  const draftUid = drafts.messages[0]!.uid;
  const draftPage = await c.get(`/webmail/Drafts/${draftUid}`);
  t.ok(draftPage.$('a.action-edit-draft'), 'a draft offers Edit draft');
  const editDraft = await c.get(`/webmail/compose?mode=draft&folder=Drafts&uid=${draftUid}`);
  t.equal((editDraft.$('input[name=subject]') as any).getAttribute('value'), 'Draft one');
  t.equal((editDraft.$('input[name=to]') as any).getAttribute('value'), 'bob@example.com');
  t.equal((editDraft.$('input[name=draft_uid]') as any).getAttribute('value'), String(draftUid));
  t.equal((await c.post('/webmail/compose', { csrf, action: 'draft', to: 'bob@example.com', subject: 'Draft two', body: 'later', draft_uid: String(draftUid) })).status, 303);
  const drafts2 = await mail.folder(id, 'Drafts');
  t.equal(drafts2.messages.length, 1, 'saving again replaces the draft');
  t.equal((await mail.summary(id, 'Drafts', drafts2.messages[0]!.uid)).envelope.subject, 'Draft two');
  const badTo = await c.post('/webmail/compose', { csrf, action: 'send', to: 'not an address', subject: 'x', body: 'y' });
  t.equal(badTo.status, 400);
  await s.addUser('bob@example.com', 'pw-bob');
  const sent = await c.post('/webmail/compose', {
    csrf, action: 'send', to: 'Bob <bob@example.com>', cc: '', subject: 'Re: Message number 10', body: 'Thanks!\n> quoted',
    in_reply_to: '<msg-10@remote.example>', references: '<msg-10@remote.example>',
  });
  t.equal(sent.status, 303, 'send redirects');
  t.equal(sent.headers.get('location'), `${base}/webmail/Sent`);
  const bobInbox = await mail.folder('bob@example.com', 'INBOX');
  t.equal(bobInbox.messages.length, 1, 'local recipient got it');
  const bobSum = await mail.summary('bob@example.com', 'INBOX', bobInbox.messages[0]!.uid);
  t.equal(bobSum.envelope.inReplyTo, '<msg-10@remote.example>', 'In-Reply-To kept');
  t.equal(bobSum.envelope.subject, 'Re: Message number 10');
  t.equal((await mail.folder(id, 'Sent')).messages.length, 1, 'copy in Sent');
  t.ok(reply.$('form.compose-form[enctype="multipart/form-data"] input[type=file][name=attachments]'), 'compose takes attachments');
  const lastDraft = (await mail.folder(id, 'Drafts')).messages[0]!.uid;
  t.equal((await c.post('/webmail/compose', { csrf, action: 'send', to: 'bob@example.com', subject: 'Draft two', body: 'now', draft_uid: String(lastDraft) })).status, 303);
  t.equal((await mail.folder(id, 'Drafts')).messages.length, 0, 'sending a draft removes it');
  const fd = new FormData();
  fd.append('csrf', csrf);
  fd.append('action', 'send');
  fd.append('to', 'bob@example.com');
  fd.append('subject', 'With attachment');
  fd.append('body', 'See attached.');
  fd.append('attachments', new Blob(['col1,col2\n1,2\n'], { type: 'text/csv' }), 'data.csv');
  const multi = await fetch(`${s.url}/webmail/compose`, { method: 'POST', body: fd, redirect: 'manual', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.equal(multi.status, 303, 'multipart compose with an attachment');
  const bobMsgs = (await mail.folder('bob@example.com', 'INBOX')).messages;
  const withAtt = await mail.summary('bob@example.com', 'INBOX', bobMsgs[bobMsgs.length - 1]!.uid);
  t.equal(withAtt.envelope.subject, 'With attachment');
  t.same(withAtt.attachments.map((a) => a.filename), ['data.csv']);
  const fwdForm = await c.get(`/webmail/compose?mode=forward&folder=INBOX&uid=${hostile.uid}`);
  t.equal((fwdForm.$('input[name=forward_uid]') as any).getAttribute('value'), String(hostile.uid));
  t.match(fwdForm.$('.forwarded-attachments')!.textContent, /report\.pdf/);
  const fwdSent = await c.post('/webmail/compose', {
    csrf, action: 'send', to: 'bob@example.com', subject: 'Fwd: Hostile', body: 'fyi', forward_folder: 'INBOX', forward_uid: String(hostile.uid),
  });
  t.equal(fwdSent.status, 303);
  const bobAll = (await mail.folder('bob@example.com', 'INBOX')).messages;
  const fwdSum = await mail.summary('bob@example.com', 'INBOX', bobAll[bobAll.length - 1]!.uid);
  t.same(fwdSum.attachments.map((a) => a.filename), ['report.pdf'], 'forward carries the original attachments');
  const fdNoToken = new FormData();
  fdNoToken.append('action', 'send');
  fdNoToken.append('to', 'bob@example.com');
  const multiNoToken = await fetch(`${s.url}/webmail/compose`, { method: 'POST', body: fdNoToken, redirect: 'manual', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.equal(multiNoToken.status, 403, 'multipart compose without token refused');
  const unknown = await c.post('/webmail/compose', { csrf, action: 'send', to: 'nobody@example.com', subject: 'x', body: 'y' });
  t.equal(unknown.status, 400, 'unknown local recipient refused');
  const composeNoToken = await c.post('/webmail/compose', { action: 'draft', to: 'bob@example.com' });
  t.equal(composeNoToken.status, 403);

  // create a folder from the sidebar
  t.equal((await c.post('/webmail/_folders', { name: 'Receipts' })).status, 403);
  const mk = await c.post('/webmail/_folders', { csrf, name: 'Receipts' });
  t.equal(mk.status, 303);
  t.equal(mk.headers.get('location'), `${base}/webmail/Receipts`);
  t.ok((await c.get('/webmail/Receipts')).$('li.folder-item.active[data-folder="Receipts"][data-total="0"]'));
  t.equal((await c.post('/webmail/_folders', { csrf, name: 'Receipts' })).status, 409);

  // other users' folders are not reachable; bad input is a clear 4xx
  t.equal((await c.get('/webmail/INBOX/999999')).status, 404);
  t.equal((await c.get('/webmail/NoSuchFolder')).status, 404);
  t.equal((await c.get('/webmail/INBOX?offset=-1')).status, 400);
  const unknownPage = await c.get('/webmail/INBOX/1/nothing/here');
  t.equal(unknownPage.status, 404);
  t.ok(unknownPage.$('.error-page'), 'an HTML error page');
});
