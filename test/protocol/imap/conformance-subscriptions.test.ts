/**
 * Subscriptions are a list of names of their own (RFC 3501 6.3.6; found by diffing against
 * Dovecot, which keeps a subscriptions file): a name that is no folder can be subscribed, DELETE
 * keeps the folder's subscription ("MUST NOT unilaterally remove an existing mailbox name from
 * the subscription list even if a mailbox by that name no longer exists"), RENAME carries it to
 * the new names. LSUB lists such a name \Noselect, LIST (SUBSCRIBED) \NonExistent (RFC 5258 3,
 * its example "Fruit/Peach"); a plain LIST does not list it. The list is durable across a restart,
 * and a store written before it (per-folder `subscribed` flags) keeps its subscriptions. The HTTP
 * API's `subscribed` of a folder still says whether it is subscribed.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mailFoldersFile } from '../../../src/store/layout.js';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin, type RawImap } from '../../helpers/imap.js';
import { login, request } from '../../helpers/http.js';

/** A logged-in raw session for alice (closed with the test). */
const session = (t: Test, port: number): Promise<RawImap> => rawLogin(t, port, 'alice@example.com', 'pw');

async function ok(t: Test, c: RawImap, cmd: string): Promise<void> {
  t.match((await c.cmd(cmd)).tagged, / OK /, cmd);
}

t.test('a subscription outlives its folder; a name that is no folder can be subscribed; RENAME carries it', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const c = await session(t, s.ports.imap!);
  t.teardown(() => c.close());

  await ok(t, c, 'SUBSCRIBE Fruit/Peach');
  await ok(t, c, 'CREATE gone');
  await ok(t, c, 'DELETE gone');
  t.same((await c.cmd('LSUB "" gone')).untagged, ['* LSUB (\\Noselect) "/" gone'], 'DELETE kept the subscription');
  t.same((await c.cmd('LSUB "" Fruit*')).untagged, ['* LSUB (\\Noselect) "/" Fruit/Peach']);
  t.same((await c.cmd('LSUB "" %')).untagged.filter((l) => /Fruit|gone/.test(l)), [
    '* LSUB (\\Noselect) "/" Fruit', '* LSUB (\\Noselect) "/" gone',
  ], 'LSUB %: the level above a subscribed name (RFC 3501 6.3.9)');
  t.same((await c.cmd('LIST (SUBSCRIBED) "" "*"')).untagged.filter((l) => /Fruit|gone/.test(l)), [
    '* LIST (\\NonExistent \\Subscribed) "/" Fruit/Peach', '* LIST (\\NonExistent \\Subscribed) "/" gone',
  ], 'LIST (SUBSCRIBED): \\NonExistent (RFC 5258)');
  t.same((await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" %')).untagged.filter((l) => /Fruit/.test(l)), [
    '* LIST (\\NonExistent) "/" Fruit (CHILDINFO ("SUBSCRIBED"))',
  ]);
  const plain = [...(await c.cmd('LIST "" *')).untagged, ...(await c.cmd('LIST "" * RETURN (SUBSCRIBED)')).untagged];
  t.notOk(plain.some((l) => /Fruit|gone/.test(l)), 'a plain LIST lists folders only');
  t.match((await c.cmd('SELECT gone')).tagged, / NO /, 'still no folder');

  await ok(t, c, 'CREATE Fruit/Peach');
  t.same((await c.cmd('LIST (SUBSCRIBED) "" Fruit*')).untagged, [
    '* LIST (\\HasChildren \\Subscribed) "/" Fruit', '* LIST (\\HasNoChildren \\Subscribed) "/" Fruit/Peach',
  ], 'the folder made under the subscribed name exists now (Fruit, made as its parent, is subscribed as every new folder is)');
  await ok(t, c, 'UNSUBSCRIBE gone');
  t.same((await c.cmd('LSUB "" gone')).untagged, []);

  // RENAME carries the subscriptions of the folder and its children; an unsubscribed one stays so.
  await ok(t, c, 'CREATE r/s/u');
  await ok(t, c, 'UNSUBSCRIBE r/s');
  await ok(t, c, 'RENAME r n');
  t.same((await c.cmd('LSUB "" r*')).untagged, [], 'the old names are gone from the list');
  t.same((await c.cmd('LSUB "" n*')).untagged, ['* LSUB (\\HasChildren) "/" n', '* LSUB (\\HasNoChildren) "/" n/s/u']);

  // The HTTP API shows existing folders only, with their subscription.
  await ok(t, c, 'UNSUBSCRIBE n');
  await ok(t, c, 'SUBSCRIBE never');
  const token = await login(s.url, 'alice@example.com', 'pw');
  const api = await request(`${s.url}/folders`, { token });
  t.equal(api.status, 200);
  const byName = new Map((api.json.folders ?? api.json).map((f: { name: string; subscribed: boolean }) => [f.name, f.subscribed]));
  t.equal(byName.get('n'), false);
  t.equal(byName.get('n/s/u'), true);
  t.equal(byName.get('Fruit/Peach'), true);
  t.notOk(byName.has('never') || byName.has('gone'), 'no folder for a subscribed name');
});

/** A server on `root` (kept by the test: started again on the same store, as after a restart). */
const start = (t: Test, root: string) => startTestServer(t, { mail_root: root });

t.test('subscriptions survive a restart; a store with per-folder flags keeps its subscriptions', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rmail-subs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  let srv = await start(t, root);
  await srv.services.accounts.create({ username: 'alice', domain: 'example.com', password: 'pw' });
  let c = await session(t, srv.ports.imap!);
  await ok(t, c, 'CREATE keep');
  await ok(t, c, 'CREATE drop');
  await ok(t, c, 'UNSUBSCRIBE drop');
  await ok(t, c, 'SUBSCRIBE ghost');
  c.close();
  await srv.stop();

  srv = await start(t, root);
  c = await session(t, srv.ports.imap!);
  const lsub = async (): Promise<string[]> => (await c.cmd('LSUB "" *')).untagged.filter((l) => /keep|drop|ghost/.test(l));
  t.same(await lsub(), ['* LSUB (\\Noselect) "/" ghost', '* LSUB (\\HasNoChildren) "/" keep'], 'after a restart');
  c.close();
  await srv.stop();

  // An older store: no `subscriptions`, only the per-folder flags.
  const path = mailFoldersFile(root, 'example.com', 'alice');
  const list = JSON.parse(readFileSync(path, 'utf8'));
  t.ok(Array.isArray(list.subscriptions), 'the list is stored');
  delete list.subscriptions;
  for (const f of list.folders) f.subscribed = f.name !== 'keep';
  writeFileSync(path, JSON.stringify(list));
  srv = await start(t, root);
  c = await session(t, srv.ports.imap!);
  t.same(await lsub(), ['* LSUB (\\HasNoChildren) "/" drop'], 'migrated from the flags');
  t.same((await c.cmd('LSUB "" INBOX')).untagged, ['* LSUB (\\HasNoChildren) "/" INBOX']);
  t.same(JSON.parse(readFileSync(path, 'utf8')).subscriptions.includes('drop'), true, 'and saved as a list');
  c.close();
  await srv.stop(); // before the teardown removes the store
});
