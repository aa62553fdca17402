import t from 'tap';
import { checkComponent, checkDrivePath, parseDrivePath, checkShareName, checkPermissions, isShareUid } from '../../src/common/drive-path.js';
import { parseIfHeader, submittedTokens } from '../../src/common/dav-if.js';

t.test('DrivePath rejects every rule of reference.md', async (t) => {
  const bad = ['', '.', '..', 'a..b', '../x', 'a/b', 'a\\b', 'a\u0000b', 'a\u0001b', 'a\u001fb', 'a\u007fb', 'a\nb',
    '_index.json', '_index.lock', '_meta.json', '_shares.json', '_share', '_anything', 'x.tmp', 'X.TMP', 'b'.repeat(256), 'é'.repeat(128)];
  for (const name of bad) t.throws(() => checkComponent(name), { name: 'ValidationError' }, JSON.stringify(name).slice(0, 40));
  const good = ['a', 'a.txt', '.hidden', 'naïve (1).txt', 'tmp', 'a_b', 'x.tmp.txt', 'b'.repeat(255), 'é'.repeat(127)];
  for (const name of good) t.equal(checkComponent(name), name, JSON.stringify(name).slice(0, 40));
  t.throws(() => checkDrivePath(Array.from({ length: 65 }, () => 'a')), /deeper than 64/);
  t.equal(checkDrivePath(Array.from({ length: 64 }, () => 'a')).length, 64);
  t.same(parseDrivePath('docs/a.txt'), ['docs', 'a.txt']);
  t.same(parseDrivePath('docs/'), ['docs']);
  t.same(parseDrivePath(''), []);
  t.throws(() => parseDrivePath('/etc/passwd'), /Absolute/);
  t.throws(() => parseDrivePath('a//b'));
  t.throws(() => parseDrivePath('a/../b'));
  t.throws(() => parseDrivePath(42));
});

t.test('share names, permissions, UIDs', async (t) => {
  for (const n of ['Q3 Budget', 'a.b', 'x(1)[2]-_']) t.equal(checkShareName(n), n);
  for (const n of ['', 'a/b', '..', 'a..b', 'ümlaut', 'x'.repeat(129), 'a\u0000']) t.throws(() => checkShareName(n), JSON.stringify(n));
  t.equal(checkPermissions('UD'), 'RUD', 'R always included, canonical order');
  t.equal(checkPermissions('DCRU'), 'RCUD');
  t.throws(() => checkPermissions('RW'));
  t.ok(isShareUid('QZGu_wPlp_OXbgKmw4aPreneMO3-scJi'));
  t.notOk(isShareUid('QZGu_wPlp_OXbgKmw4aPreneMO3-scJ'));
  t.notOk(isShareUid('QZGu_wPlp_OXbgKmw4aPreneMO3-sc.i'));
});

t.test('If header', async (t) => {
  const lists = parseIfHeader('<http://h/drive/a> (<opaquelocktoken:1> ["e1"]) (Not <DAV:no-lock>)');
  t.same(lists, [
    { resource: 'http://h/drive/a', conditions: [{ not: false, token: 'opaquelocktoken:1' }, { not: false, etag: '"e1"' }] },
    { resource: 'http://h/drive/a', conditions: [{ not: true, token: 'DAV:no-lock' }] },
  ]);
  t.same([...submittedTokens(lists)], ['opaquelocktoken:1']);
  for (const bad of ['', '(', '()', 'garbage', '(<x>', '([x)']) t.throws(() => parseIfHeader(bad), JSON.stringify(bad));
});
