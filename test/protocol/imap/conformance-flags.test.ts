/**
 * The FLAGS / PERMANENTFLAGS of a selected folder include its keywords, and change when a new
 * keyword appears (RFC 3501 7.2.6: FLAGS is sent when the set of defined flags changes; 6.3.1),
 * whether by this session's STORE, another session's STORE or an APPEND; found by differential
 * testing against Dovecot, which sends both lines before the FETCH / EXISTS that uses the keyword.
 */
import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawLogin } from '../../helpers/imap.js';

const BASE = '\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk';
const flags = (kw: string): string[] => [`* FLAGS (${BASE}${kw})`, `* OK [PERMANENTFLAGS (${BASE}${kw} \\*)] Flags permitted`];

t.test('keywords in FLAGS and PERMANENTFLAGS at SELECT and when a new one appears', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const open = () => rawLogin(t, s.ports.imap!, 'alice@example.com', 'pw');
  const c = await open();
  const d = await open();
  const msg = (i: number): string => `Subject: m${i}\r\n\r\nbody\r\n`;
  t.match((await c.cmd(`APPEND INBOX (kw1 \\Seen) {${msg(1).length}+}\r\n${msg(1)}`)).tagged, /OK/);
  t.match((await c.cmd(`APPEND INBOX ($Junk) {${msg(2).length}+}\r\n${msg(2)}`)).tagged, /OK/);
  const sel = await c.cmd('SELECT INBOX');
  t.same(sel.untagged.slice(0, 2), flags(' kw1'), 'SELECT: the folder\'s keywords');
  const ex = await d.cmd('EXAMINE INBOX');
  t.same(ex.untagged.slice(0, 2), [`* FLAGS (${BASE} kw1)`, '* OK [PERMANENTFLAGS ()] Flags permitted'], 'EXAMINE too');

  const rows: [string, string[] | RegExp, string][] = [
    ['STORE 2 +FLAGS (kw2 kw1)', [...flags(' kw1 kw2'), '* 2 FETCH (FLAGS ($Junk kw2 kw1 \\Recent))'], 'own STORE: before its FETCH'],
    ['STORE 1 +FLAGS (kw2)', ['* 1 FETCH (FLAGS (kw1 \\Seen kw2 \\Recent))'], 'a known keyword: no FLAGS'],
    ['STORE 1 -FLAGS (kw1)', ['* 1 FETCH (FLAGS (\\Seen kw2 \\Recent))'], 'removing: no FLAGS (keywords stay defined)'],
    ['STORE 1 FLAGS.SILENT (\\Seen kw3)', flags(' kw1 kw2 kw3'), 'silent: the FLAGS still'],
    ['STORE 1 +FLAGS (\\Flagged $Forwarded)', ['* 1 FETCH (FLAGS (\\Seen kw3 \\Flagged $Forwarded \\Recent))'], 'system flags and $Forwarded: no FLAGS'],
  ];
  for (const [cmd, want, what] of rows) {
    const r = await c.cmd(cmd);
    t.match(r.tagged, /OK/, cmd);
    t.same(r.untagged, want, what);
  }
  // the read-only session hears of kw2 and kw3 with its first NOOP: one FLAGS, PERMANENTFLAGS ()
  const dn = await d.cmd('NOOP');
  t.same(dn.untagged.slice(0, 2), [`* FLAGS (${BASE} kw1 kw2 kw3)`, '* OK [PERMANENTFLAGS ()] Flags permitted'], 'EXAMINE: FLAGS then PERMANENTFLAGS ()');
  t.match(dn.untagged.slice(2).join('\n'), /^\* \d FETCH/, 'then the FETCHes');

  // another session's STORE and APPEND
  const e = await open();
  t.match((await e.cmd('SELECT INBOX')).tagged, /OK/);
  t.match((await e.cmd('STORE 1 +FLAGS.SILENT (other)')).tagged, /OK/);
  const n1 = await c.cmd('NOOP');
  t.same(n1.untagged.slice(0, 2), flags(' kw1 kw2 kw3 other'), 'another session\'s STORE');
  t.match(n1.untagged[2], /^\* 1 FETCH \(UID 1 FLAGS \(.*other.*\)\)$/);
  t.match((await e.cmd(`APPEND INBOX (new1 other) {${msg(3).length}+}\r\n${msg(3)}`)).tagged, /OK/);
  const n2 = await c.cmd('NOOP');
  t.same(n2.untagged.slice(0, 3), [...flags(' kw1 kw2 kw3 other new1'), '* 3 EXISTS'], 'an APPEND: before EXISTS');
  t.match(n2.untagged[3], /^\* \d RECENT$/);
  t.same((await c.cmd('NOOP')).untagged, [], 'said once');
  // this session's APPEND into its selected folder
  const own = await c.cmd(`APPEND INBOX (new2) {${msg(4).length}+}\r\n${msg(4)}`);
  t.same(own.untagged.slice(0, 3), [...flags(' kw1 kw2 kw3 other new1 new2'), '* 4 EXISTS'], 'own APPEND');
  const again = await c.cmd('SELECT INBOX');
  // re-SELECT: all of them, in the order the messages have them (the order is free)
  const words = (l: string): string[] => /\(([^)]*)\)/.exec(l)![1]!.split(' ').sort();
  t.same(again.untagged.slice(1, 3).map(words), flags(' kw1 kw2 kw3 other new1 new2').map(words), 're-SELECT: all of them');
});
