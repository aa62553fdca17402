/**
 * The mail store's subscription list and \Recent floors (folders.json): subscriptions are names,
 * kept when a folder is deleted, carried by a rename, allowed for names that are no folder, and a
 * list written before them is migrated from the per-folder flags. Each folder's `subscribed` (what
 * the HTTP API shows) follows the list. Recent floors: a new folder starts at 1, raised floors
 * are saved (never lowered), a folder from an older store starts at its UIDNEXT when first opened.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { mailFoldersFile } from '../../../src/store/layout.js';
import { migrateSubscriptions, type FolderList } from '../../../src/store/mail/folders.js';
import { MAX_NAMES_SUBSCRIBED_NOT_FOLDERS } from '../../../src/actors/mail/user-mail.js';
import { mailHarness } from '../../helpers/mail.js';

const ID = 'alice@example.com';
const MSG = Buffer.from('Subject: x\r\n\r\nbody\r\n');

t.test('migrateSubscriptions takes the flagged names once', async (t) => {
  const list: FolderList = {
    v: 1, nextId: 3, lastUidValidity: 2,
    folders: [
      { id: '1', name: 'INBOX', specialUse: null, subscribed: true, uidValidity: 1 },
      { id: '2', name: 'a', specialUse: null, subscribed: false, uidValidity: 2 },
    ],
  };
  t.equal(migrateSubscriptions(list), true);
  t.same(list.subscriptions, ['INBOX']);
  t.equal(migrateSubscriptions(list), false, 'a list that has them is left alone');
});

t.test('subscribe, delete, rename, restart, migrate', async (t) => {
  const h = await mailHarness(t);
  await h.addUser(ID);
  const path = mailFoldersFile(h.root, 'example.com', 'alice');
  const stored = (): FolderList => JSON.parse(readFileSync(path, 'utf8'));
  const subscribed = async (): Promise<Record<string, boolean>> =>
    Object.fromEntries((await h.mail.listFolders(ID)).map((f) => [f.name, f.subscribed]));

  t.same(stored().subscriptions, ['INBOX', 'Drafts', 'Sent', 'Trash', 'Junk', 'Archive'], 'new store: the defaults');
  await h.mail.createFolder(ID, 'a/b');
  await h.mail.setSubscribed(ID, 'a', false);
  await h.mail.setSubscribed(ID, 'ghost', true);
  await h.mail.setSubscribed(ID, 'inbox', true);
  t.same((await h.mail.subscriptions(ID)).slice(6), ['a/b', 'ghost'], 'INBOX named in any case is INBOX, once');
  t.same((await subscribed())['a'], false);
  await h.mail.deleteFolder(ID, 'a/b');
  t.ok((await h.mail.subscriptions(ID)).includes('a/b'), 'a deleted folder stays subscribed');
  await h.mail.createFolder(ID, 'a/c');
  await h.mail.renameFolder(ID, 'a', 'z');
  const subs = await h.mail.subscriptions(ID);
  t.ok(subs.includes('z/c') && !subs.includes('a/c'), 'rename carries the child subscription');
  t.ok(subs.includes('a/b'), 'a name that is no folder stays as it is');
  t.same(await subscribed(), { INBOX: true, Drafts: true, Sent: true, Trash: true, Junk: true, Archive: true, z: false, 'z/c': true });
  t.same(stored().folders.find((f) => f.name === 'z/c')!.subscribed, true, 'the per-folder flag follows the list on disk');
  await h.mail.setSubscribed(ID, 'never', false);
  t.same(await h.mail.subscriptions(ID), subs, 'unsubscribing a name not subscribed changes nothing');

  await h.restart();
  t.same(await h.mail.subscriptions(ID), subs, 'durable');

  // An older store: per-folder flags only, no recent floors.
  await h.mail.append(ID, 'INBOX', { data: MSG });
  await h.restart();
  const old = stored();
  delete old.subscriptions;
  for (const f of old.folders) {
    f.subscribed = f.name === 'z';
    delete f.recent;
  }
  writeFileSync(path, JSON.stringify(old));
  await h.restart();
  t.same(await h.mail.subscriptions(ID), ['z'], 'migrated from the flags');
  t.same(stored().subscriptions, ['z'], 'and saved');
  const inbox = await h.mail.folder(ID, 'INBOX');
  t.equal(inbox.info.recent, 2, 'an older folder: its floor is its UIDNEXT when first opened');
});

t.test('recent floors: 1 for a new folder, raised and saved, never lowered', async (t) => {
  const h = await mailHarness(t);
  await h.addUser(ID);
  const path = mailFoldersFile(h.root, 'example.com', 'alice');
  const inboxRec = () => (JSON.parse(readFileSync(path, 'utf8')) as FolderList).folders.find((f) => f.name === 'INBOX')!;
  t.equal(inboxRec().recent, 1);
  const view = await h.mail.folder(ID, 'INBOX');
  await h.mail.saveRecent(ID, new Map([[view.info.id, 5], ['999', 3]]));
  t.equal(inboxRec().recent, 5);
  t.equal(view.info.recent, 5, 'the open view follows');
  await h.mail.saveRecent(ID, new Map([[view.info.id, 2]]));
  t.equal(inboxRec().recent, 5, 'never lowered');
  await h.restart();
  t.equal((await h.mail.folder(ID, 'INBOX')).info.recent, 5);
  await h.mail.saveRecent('nobody@example.com', new Map([['1', 2]]));
  t.notOk((await import('node:fs')).existsSync(mailFoldersFile(h.root, 'example.com', 'nobody')), 'no store is made for an unknown user');
});

t.test('subscribed names that are no folder are bounded; folders are not', async (t) => {
  const h = await mailHarness(t);
  await h.addUser(ID);
  for (let i = 0; i < MAX_NAMES_SUBSCRIBED_NOT_FOLDERS; i++) await h.mail.setSubscribed(ID, `n${i}`, true);
  await t.rejects(h.mail.setSubscribed(ID, 'one-more', true), /Too many subscribed names/);
  await h.mail.createFolder(ID, 'real');
  await h.mail.setSubscribed(ID, 'real', false);
  await h.mail.setSubscribed(ID, 'real', true);
  t.ok((await h.mail.subscriptions(ID)).includes('real'), 'a folder can still be subscribed');
  await h.mail.setSubscribed(ID, 'n0', false);
  await h.mail.setSubscribed(ID, 'one-more', true);
  t.ok((await h.mail.subscriptions(ID)).includes('one-more'), 'room again after an UNSUBSCRIBE');
});
