/**
 * Authorization matrix (issue 9): every HTTP route family, IMAP command and SMTP step, tried as
 * anonymous, the owner, another user, an admin (same domain and another domain), and through a
 * drive share of each permission set, against an expected allow/deny table. Zero unexpected
 * allows (and, as a sanity check of the table, zero unexpected denies).
 */
import t, { type Test } from 'tap';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { request, login } from '../helpers/http.js';
import { rawConnect, sampleMessage } from '../helpers/imap.js';
import { RawSmtp } from '../helpers/smtp.js';

type Who = 'anon' | 'alice' | 'bob' | 'admin' | 'eve';
type Want = 'allow' | 'deny';
interface Row { who: Who; method: string; path: string; want: Want; body?: unknown; headers?: Record<string, string> }

const PW: Record<Exclude<Who, 'anon'>, string> = { alice: 'pw-alice', bob: 'pw-bob', admin: 'pw-admin', eve: 'pw-eve' };
const ADDR: Record<Exclude<Who, 'anon'>, string> = { alice: 'alice@example.com', bob: 'bob@example.com', admin: 'admin@example.com', eve: 'eve@other.org' };
const ics = (uid: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:SECRET-ALICE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const PROPFIND = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:getetag/></D:prop></D:propfind>';
const REPORT = '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>';

async function setup(t: Test) {
  const s = await startTestServer(t, { domains: ['example.com', 'other.org'] });
  await s.addUser(ADDR.alice, PW.alice);
  await s.addUser(ADDR.bob, PW.bob);
  await s.addUser(ADDR.admin, PW.admin, { admin: true });
  await s.addUser(ADDR.eve, PW.eve, { admin: true });
  const tokens: Record<string, string> = {};
  for (const w of ['alice', 'bob', 'admin', 'eve'] as const) tokens[w] = await login(s.url, ADDR[w], PW[w]);
  return { s, tokens };
}

function auth(who: Who, tokens: Record<string, string>, path: string): Record<string, string> {
  if (who === 'anon') return {};
  // CalDAV and Drive take Basic; the JSON API takes Bearer.
  if (path.startsWith('/caldav') || path.startsWith('/drive')) {
    return { authorization: `Basic ${Buffer.from(`${ADDR[who]}:${PW[who]}`).toString('base64')}` };
  }
  return { authorization: `Bearer ${tokens[who]}` };
}

async function runRows(t: Test, s: TestServer, tokens: Record<string, string>, rows: Row[]): Promise<{ allows: string[]; denies: string[] }> {
  const allows: string[] = [];
  const denies: string[] = [];
  for (const r of rows) {
    const headers = { ...auth(r.who, tokens, r.path), ...(r.headers ?? {}) };
    const res = await request(`${s.url}${r.path}`, { method: r.method, headers, body: r.body });
    const allowed = res.status >= 200 && res.status < 300;
    const label = `${r.who} ${r.method} ${r.path} -> ${res.status}`;
    if (r.want === 'deny' && (allowed || (res.status >= 500))) allows.push(label);
    if (r.want === 'deny' && res.text.includes('SECRET-ALICE')) allows.push(`${label} (leaked content)`);
    if (r.want === 'allow' && !allowed) denies.push(label);
  }
  return { allows, denies };
}

t.test('HTTP API, CalDAV and Drive routes by principal', async (t) => {
  const { s, tokens } = await setup(t);
  const A = auth('alice', tokens, '/folders');
  const raw = `From: x@example.org\r\nTo: alice@example.com\r\nSubject: SECRET-ALICE\r\n\r\nSECRET-ALICE body\r\n`;
  const up = await request(`${s.url}/folders/INBOX/messages`, { method: 'POST', headers: { ...A, 'content-type': 'message/rfc822' }, body: raw });
  t.equal(up.status, 201, 'alice has a message');
  const uid = up.json.uid as number;
  const AB = auth('alice', tokens, '/drive');
  t.equal((await request(`${s.url}/drive/docs/secret.txt`, { method: 'PUT', headers: AB, body: 'SECRET-ALICE' })).status, 201);
  t.equal((await request(`${s.url}/caldav/alice/calendars/default/e1.ics`, { method: 'PUT', headers: { ...AB, 'content-type': 'text/calendar' }, body: ics('e1') })).status, 201);
  const share = await request(`${s.url}/drive/_share`, { method: 'POST', headers: AB, body: { target_path: 'docs', permissions: 'R' } });
  const shareUid = share.json.uid as string;

  const rows: Row[] = [];
  const add = (method: string, path: string, table: Partial<Record<Who, Want>>, extra: Partial<Row> = {}) => {
    for (const [who, want] of Object.entries(table) as [Who, Want][]) rows.push({ who, method, path, want, ...extra });
  };
  // JSON API: user routes act on the caller's own data only, so another user sees nothing of alice's.
  add('GET', '/folders', { anon: 'deny', alice: 'allow', bob: 'allow' });
  add('GET', '/folders/INBOX/messages', { anon: 'deny', alice: 'allow' });
  add('GET', `/folders/INBOX/messages/${uid}`, { anon: 'deny', alice: 'allow', bob: 'deny', admin: 'deny', eve: 'deny' });
  add('PATCH', `/folders/INBOX/messages/${uid}/flags`, { anon: 'deny', bob: 'deny', admin: 'deny', alice: 'allow' }, { body: { flags: ['\\Seen'] } });
  add('POST', '/folders', { anon: 'deny' }, { body: { name: 'X' } });
  add('POST', '/folders/INBOX/messages', { anon: 'deny' }, { body: 'x', headers: { 'content-type': 'message/rfc822' } });
  add('POST', '/messages/send', { anon: 'deny' }, { body: { to: ['bob@example.com'], subject: 's', body: 'b' } });
  add('GET', '/aliases', { anon: 'deny', alice: 'allow' });
  // Admins are server-wide (reference.md: `?domain=` picks any domain), so eve, an admin of
  // other.org, may manage example.com too; aliases act on the admin's own domain.
  add('POST', '/aliases', { anon: 'deny', alice: 'deny', bob: 'deny', eve: 'allow', admin: 'allow' }, { body: { pattern: 'sales-.*', target: 'bob' } });
  add('DELETE', `/aliases/${encodeURIComponent('sales-.*')}`, { anon: 'deny', alice: 'deny', eve: 'allow', admin: 'allow' });
  add('GET', '/admin/users?domain=example.com', { anon: 'deny', alice: 'deny', bob: 'deny', eve: 'allow', admin: 'allow' });
  add('GET', '/admin/users/alice?domain=example.com', { anon: 'deny', alice: 'deny', bob: 'deny', eve: 'allow', admin: 'allow' });
  add('PATCH', '/admin/users/bob?domain=example.com', { anon: 'deny', alice: 'deny', bob: 'deny', admin: 'allow' }, { body: { quota_mb: 100 } });
  add('PUT', '/admin/users/bob/password?domain=example.com', { anon: 'deny', alice: 'deny', bob: 'deny' }, { body: { password: 'hijack' } });
  add('POST', '/admin/users', { anon: 'deny', alice: 'deny', bob: 'deny' }, { body: { username: 'mallory', password: 'x', domain: 'example.com', admin: true } });
  add('DELETE', '/admin/users/bob?domain=example.com', { anon: 'deny', alice: 'deny', bob: 'deny' });
  // CalDAV: only the owner reaches /caldav/alice (an admin is not the owner).
  for (const [m, p, body, h] of [
    ['PROPFIND', '/caldav/alice/', PROPFIND, { depth: '0' }],
    ['PROPFIND', '/caldav/alice/calendars/', PROPFIND, { depth: '1' }],
    ['PROPFIND', '/caldav/alice/calendars/default/', PROPFIND, { depth: '1' }],
    ['REPORT', '/caldav/alice/calendars/default/', REPORT, { depth: '1' }],
    ['GET', '/caldav/alice/calendars/default/e1.ics', undefined, {}],
    ['PUT', '/caldav/alice/calendars/default/e2.ics', ics('e2'), { 'content-type': 'text/calendar' }],
    ['PROPPATCH', '/caldav/alice/calendars/default/', '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>', {}],
    ['MKCALENDAR', '/caldav/alice/calendars/new1/', undefined, {}],
    ['DELETE', '/caldav/alice/calendars/default/e1.ics', undefined, {}],
  ] as [string, string, string | undefined, Record<string, string>][]) {
    add(m, p, { anon: 'deny', bob: 'deny', admin: 'deny', eve: 'deny' }, { body, headers: h });
  }
  add('PROPFIND', '/caldav/alice/calendars/default/', { alice: 'allow' }, { body: PROPFIND, headers: { depth: '1' } });
  add('GET', '/caldav/alice/calendars/default/e1.ics', { alice: 'allow' });
  // Drive: paths are always the caller's own drive; shares are owner-only through the API.
  add('GET', '/drive/docs/secret.txt', { anon: 'deny', alice: 'allow', bob: 'deny', admin: 'deny' });
  add('PROPFIND', '/drive/docs', { anon: 'deny', bob: 'deny' }, { headers: { depth: '1' } });
  add('GET', '/drive/_share', { anon: 'deny', alice: 'allow' });
  add('GET', `/drive/_share/${shareUid}`, { anon: 'deny', bob: 'deny', admin: 'deny', alice: 'allow' });
  add('PATCH', `/drive/_share/${shareUid}`, { anon: 'deny', bob: 'deny', admin: 'deny' }, { body: { permissions: 'RCUD' } });
  add('DELETE', `/drive/_share/${shareUid}`, { anon: 'deny', bob: 'deny', admin: 'deny' });
  add('POST', '/drive/_share', { anon: 'deny' }, { body: { target_path: 'docs', permissions: 'RCUD' } });
  add('PUT', '/drive/anon.txt', { anon: 'deny' }, { body: 'x' });
  add('DELETE', '/drive/docs', { anon: 'deny' });
  // Webmail pages never render for an anonymous visitor.
  for (const p of ['/webmail/INBOX', `/webmail/INBOX/${uid}`, `/webmail/INBOX/${uid}/raw`, '/webmail/compose', '/webmail/drive/', '/webmail/calendar/month']) add('GET', p, { anon: 'deny' });

  const { allows, denies } = await runRows(t, s, tokens, rows);
  t.same(allows, [], `no unexpected allow among ${rows.length} HTTP checks`);
  t.same(denies, [], 'every expected allow is allowed (the table is sane)');
  // Bob's view of his own mailbox never contains alice's message.
  const bobList = await request(`${s.url}/folders/INBOX/messages`, { token: tokens.bob });
  t.notMatch(bobList.text, /SECRET-ALICE/, "bob's INBOX shows nothing of alice's");
});

t.test('Drive share links by permission set', async (t) => {
  const { s, tokens } = await setup(t);
  const AB = auth('alice', tokens, '/drive');
  for (const f of ['docs/a.txt', 'docs/sub/b.txt']) await request(`${s.url}/drive/${f}`, { method: 'PUT', headers: AB, body: 'SECRET-ALICE' });
  await request(`${s.url}/drive/private/p.txt`, { method: 'PUT', headers: AB, body: 'SECRET-ALICE' });
  const unexpected: string[] = [];
  let n = 0;
  for (const perms of ['R', 'RC', 'RU', 'RD', 'RCUD']) {
    const sh = await request(`${s.url}/drive/_share`, { method: 'POST', headers: AB, body: { target_path: 'docs', permissions: perms } });
    const base = `/drive/${sh.json.uid}/docs`;
    const has = (l: string) => perms.includes(l);
    const mp = (name: string) => ({ 'content-type': 'multipart/form-data; boundary=B', body: `--B\r\nContent-Disposition: form-data; name="f"; filename="${name}"\r\n\r\nx\r\n--B--\r\n` });
    const checks: [string, string, boolean, { body?: string; headers?: Record<string, string> }][] = [
      ['GET', `${base}/a.txt`, true, {}],
      ['PROPFIND', `${base}/`, true, { headers: { depth: '1' } }],
      ['GET', `${base}/../private/p.txt`, false, {}],
      ['GET', `${base}/%2e%2e/private/p.txt`, false, {}],
      ['PUT', `${base}/new-${perms}.txt`, has('C'), { body: 'n' }],
      ['PUT', `${base}/a.txt`, has('U'), { body: 'over' }],
      ['POST', `${base}/sub`, has('U'), { body: mp(`up-${perms}.txt`).body, headers: { 'content-type': 'multipart/form-data; boundary=B' } }],
      ['POST', `${base}/mk-${perms}?action=mkdir`, has('C'), {}],
      ['MKCOL', `${base}/col-${perms}`, has('C'), {}],
      ['DELETE', `${base}/sub/b.txt`, has('D'), {}],
      ['DELETE', `${base}/`, false, {}],
      ['DELETE', base, false, {}],
      ['MOVE', `${base}/a.txt`, false, { headers: { destination: `${base}/moved.txt` } }],
      ['GET', '/drive/private/p.txt', false, {}],
    ];
    for (const [m, p, allow, o] of checks) {
      const r = await request(`${s.url}${p}`, { method: m, body: o.body, headers: o.headers });
      n++;
      const ok = r.status >= 200 && r.status < 300;
      if (ok !== allow || r.status >= 500) unexpected.push(`share ${perms}: ${m} ${p} -> ${r.status} (want ${allow ? 'allow' : 'deny'})`);
      if (!allow && r.text.includes('SECRET-ALICE')) unexpected.push(`share ${perms}: ${m} ${p} leaked content`);
      // Recreate what a D row removed so later permission sets see the same tree.
      if (m === 'DELETE' && ok) await request(`${s.url}/drive/docs/sub/b.txt`, { method: 'PUT', headers: AB, body: 'SECRET-ALICE' });
    }
    // A revoked share stops working at once.
    await request(`${s.url}/drive/_share/${sh.json.uid}`, { method: 'DELETE', headers: AB });
    const after = await request(`${s.url}${base}/a.txt`);
    n++;
    if (after.status < 400) unexpected.push(`share ${perms}: revoked share still answers ${after.status}`);
  }
  t.same(unexpected, [], `share permission matrix: ${n} checks`);
});

t.test('IMAP commands by principal', async (t) => {
  const { s } = await setup(t);
  const { c: a } = await rawConnect(s.ports.imap!);
  await a.cmd('LOGIN alice@example.com pw-alice');
  const m = sampleMessage(1, 'X-Secret: SECRET-ALICE');
  await a.cmd(`APPEND INBOX {${m.length}+}\r\n${m}`);
  await a.cmd('CREATE AliceOnly');
  a.close();
  const unexpected: string[] = [];
  // Anonymous: nothing but the connection-state commands.
  const { c: anon } = await rawConnect(s.ports.imap!);
  for (const cmd of ['SELECT INBOX', 'EXAMINE INBOX', 'LIST "" "*"', 'LSUB "" "*"', 'STATUS INBOX (MESSAGES)', 'CREATE x', 'DELETE INBOX',
    'RENAME INBOX y', 'SUBSCRIBE INBOX', 'FETCH 1 BODY[]', 'UID FETCH 1 BODY[]', 'STORE 1 +FLAGS (\\Deleted)', 'COPY 1 INBOX', 'MOVE 1 INBOX',
    'EXPUNGE', 'SEARCH ALL', 'GETQUOTAROOT INBOX', 'GETQUOTA ""', 'NAMESPACE', 'IDLE', 'APPEND INBOX {1+}\r\nx', 'ENABLE QRESYNC', 'UNSELECT', 'CLOSE']) {
    const r = await anon.cmd(cmd);
    if (/^\S+ OK/.test(r.tagged)) unexpected.push(`anon: ${cmd} -> ${r.tagged}`);
  }
  anon.close();
  // Wrong or borrowed credentials.
  const plain = (authz: string, authc: string, pw: string) => Buffer.from(`${authz}\0${authc}\0${pw}`).toString('base64');
  for (const [who, cmd] of [
    ['bob', 'LOGIN alice@example.com pw-bob'],
    ['bob', `AUTHENTICATE PLAIN ${plain('alice@example.com', 'bob@example.com', 'pw-bob')}`],
    ['admin', `AUTHENTICATE PLAIN ${plain('alice@example.com', 'admin@example.com', 'pw-admin')}`],
    ['anon', 'LOGIN alice pw-alice@example.com'],
    ['anon', 'LOGIN "" ""'],
  ] as const) {
    const { c } = await rawConnect(s.ports.imap!);
    const r = await c.cmd(cmd);
    if (/^\S+ OK/.test(r.tagged)) unexpected.push(`${who}: ${cmd.slice(0, 40)} -> ${r.tagged}`);
    c.close();
  }
  // Logged in as bob (and as the admin): alice's mailboxes are out of reach under any name.
  for (const [who, pw] of [['bob@example.com', 'pw-bob'], ['admin@example.com', 'pw-admin']] as const) {
    const { c } = await rawConnect(s.ports.imap!);
    await c.cmd(`LOGIN ${who} ${pw}`);
    for (const box of ['AliceOnly', '"alice@example.com/INBOX"', '"../alice/INBOX"', '"../../alice/mail/INBOX"', '"Other Users/alice/INBOX"', '"#shared/alice"', '"~alice/INBOX"', '"/alice/INBOX"', '"INBOX/../../alice/INBOX"']) {
      for (const cmd of [`SELECT ${box}`, `STATUS ${box} (MESSAGES)`, `DELETE ${box}`, `RENAME ${box} stolen`, `APPEND ${box} {1+}\r\nx`]) {
        const r = await c.cmd(cmd);
        if (/^\S+ OK/.test(r.tagged)) unexpected.push(`${who}: ${cmd} -> ${r.tagged}`);
      }
    }
    const list = await c.cmd('LIST "" "*"');
    if (/AliceOnly/.test(list.raw)) unexpected.push(`${who}: LIST shows alice's folder`);
    await c.cmd('SELECT INBOX');
    const search = await c.cmd('SEARCH HEADER X-Secret SECRET-ALICE');
    if (/\* SEARCH \d/.test(search.raw)) unexpected.push(`${who}: SEARCH finds alice's message`);
    const sq = await c.cmd('SETQUOTA "" (STORAGE 999999999)');
    if (/^\S+ OK/.test(sq.tagged)) unexpected.push(`${who}: SETQUOTA allowed`);
    c.close();
  }
  t.same(unexpected, [], 'no unexpected IMAP allow');
});

t.test('SMTP steps by principal', async (t) => {
  const { s } = await setup(t);
  const unexpected: string[] = [];
  const plain = (authz: string, authc: string, pw: string) => Buffer.from(`${authz}\0${authc}\0${pw}`).toString('base64');
  const expectDeny = async (label: string, port: number, steps: string[]) => {
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO fuzz.example.org');
    let last = { code: 0, text: '' } as { code: number; text: string };
    for (const st of steps) last = await c.cmd(st);
    if (last.code >= 200 && last.code < 400) unexpected.push(`${label}: ${steps.at(-1)} -> ${last.code} ${last.text}`);
    await c.cmd('QUIT').catch(() => undefined);
  };
  const sub = s.ports.submission!;
  await expectDeny('anon submission MAIL', sub, ['MAIL FROM:<alice@example.com>']);
  await expectDeny('anon submission RCPT remote', sub, ['MAIL FROM:<alice@example.com>', 'RCPT TO:<x@remote.example>']);
  await expectDeny('bob as alice (authzid)', sub, [`AUTH PLAIN ${plain('alice@example.com', 'bob@example.com', 'pw-bob')}`]);
  await expectDeny('wrong password', sub, [`AUTH PLAIN ${plain('', 'alice@example.com', 'pw-bob')}`]);
  await expectDeny('bob sends as alice', sub, [`AUTH PLAIN ${plain('', 'bob@example.com', 'pw-bob')}`, 'MAIL FROM:<alice@example.com>']);
  await expectDeny('admin sends as alice', sub, [`AUTH PLAIN ${plain('', 'admin@example.com', 'pw-admin')}`, 'MAIL FROM:<alice@example.com>']);
  await expectDeny('MX open relay', s.ports.smtp!, ['MAIL FROM:<x@remote.example>', 'RCPT TO:<y@elsewhere.example>']);
  await expectDeny('MX unknown local user', s.ports.smtp!, ['MAIL FROM:<x@remote.example>', 'RCPT TO:<nobody@example.com>']);
  // And the allowed paths work, so the denials above are not a broken server.
  const { c } = await RawSmtp.open(sub);
  await c.cmd('EHLO ok.example.org');
  t.equal((await c.cmd(`AUTH PLAIN ${plain('', 'bob@example.com', 'pw-bob')}`)).code, 235, 'bob authenticates');
  t.equal((await c.cmd('MAIL FROM:<bob@example.com>')).code, 250, 'bob sends as himself');
  t.equal((await c.cmd('RCPT TO:<alice@example.com>')).code, 250);
  await c.cmd('QUIT').catch(() => undefined);
  t.same(unexpected, [], 'no unexpected SMTP allow');
});
