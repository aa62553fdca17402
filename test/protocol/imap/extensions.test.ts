import t from 'tap';
import { startTestServer } from '../../helpers/server.js';
import { rawConnect, type RawImap } from '../../helpers/imap.js';

function msg(i: number, subject: string, extra: string[] = []): string {
  return [`From: S${i} <s${i}@example.org>`, `To: a${5 - i}@example.com`, `Subject: ${subject}`, `Message-ID: <m${i}@x>`,
    `Date: Mon, 0${i} Jan 2024 10:00:00 +0000`, ...extra, '', `body ${i}`, ''].join('\r\n');
}

async function append(c: RawImap, box: string, text: string, flags = '', date = ''): Promise<void> {
  const r = await c.cmd(`APPEND ${box} ${flags ? `(${flags}) ` : ''}${date ? `"${date}" ` : ''}{${Buffer.byteLength(text)}}\r\n${text}`);
  if (!/OK/.test(r.tagged)) throw new Error(r.tagged);
}

t.test('ESEARCH, SORT, THREAD, LIST-EXTENDED/STATUS, LSUB, NAMESPACE, ID, EXAMINE, CLOSE, MOVE, sections', async (t) => {
  const s = await startTestServer(t);
  await s.addUser('alice@example.com', 'pw');
  const { c } = await rawConnect(s.ports.imap!);
  await c.cmd('LOGIN alice@example.com pw');
  t.match((await c.cmd('NAMESPACE')).untagged[0], '* NAMESPACE (("" "/")) NIL NIL');
  t.match((await c.cmd('ID ("name" "test")')).untagged[0], /^\* ID \("name" "rmail"/);
  await append(c, 'INBOX', msg(1, 'Hello world'), '\\Seen', ' 5-Jan-2024 10:00:00 +0000');
  await append(c, 'INBOX', msg(2, 'Re: Hello world', ['In-Reply-To: <m1@x>', 'References: <m1@x>']));
  await append(c, 'INBOX', msg(3, 'Another topic'));
  await append(c, 'INBOX', msg(4, 'Re: Re: Hello world', ['In-Reply-To: <m2@x>', 'References: <m1@x> <m2@x>']));
  await c.cmd('SELECT INBOX');

  const es = await c.cmd('UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN');
  t.match(es.untagged[0], /^\* ESEARCH \(TAG "T\d+"\) UID MIN 2 MAX 4 ALL 2:4 COUNT 3$/);
  t.match((await c.cmd('SEARCH RETURN () ALL')).untagged[0], /ALL 1:4/);
  t.same((await c.cmd('SEARCH SENTBEFORE 3-Jan-2024')).untagged, ['* SEARCH 1 2']);
  t.same((await c.cmd('SEARCH ON 5-Jan-2024')).untagged, ['* SEARCH 1']);
  t.same((await c.cmd('SEARCH NOT TO a4')).untagged, ['* SEARCH 2 3 4']);
  t.same((await c.cmd('SORT (SUBJECT) UTF-8 ALL')).untagged, ['* SORT 3 1 2 4']);
  t.same((await c.cmd('SORT (REVERSE DATE) UTF-8 ALL')).untagged, ['* SORT 4 3 2 1']);
  t.same((await c.cmd('UID SORT (TO) UTF-8 NOT UID 1')).untagged, ['* SORT 4 3 2']);
  t.same((await c.cmd('THREAD REFERENCES UTF-8 ALL')).untagged, ['* THREAD (1 2 4)(3)']);

  const f = await c.cmd('FETCH 2 (BINARY.SIZE[1] BODY.PEEK[1.MIME] RFC822.HEADER BODY)');
  t.match(f.raw, /BINARY\.SIZE\[1\] 8/);
  t.match(f.raw, /RFC822\.HEADER \{\d+\}\r\nFrom: S2/);
  t.match(f.raw, /BODY \("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL "7BIT" 8 1\)/);
  // \Recent: this session is the first to select INBOX since the messages arrived (RFC 3501 2.3.2).
  t.match((await c.cmd('FETCH 2 (FLAGS)')).untagged[0], /FLAGS \(\\Recent\)/, 'PEEK and RFC822.HEADER do not set \\Seen');
  t.match((await c.cmd('FETCH 2 (BODY[TEXT])')).raw, /FLAGS \(\\Seen \\Recent\)/, 'BODY[TEXT] sets \\Seen and reports FLAGS');

  await c.cmd('CREATE Lists');
  await c.cmd('CREATE Lists/Sub');
  await c.cmd('SUBSCRIBE Lists/Sub');
  await c.cmd('UNSUBSCRIBE Lists');
  const l = await c.cmd('LIST (SUBSCRIBED) "" "Lists*" RETURN (STATUS (MESSAGES UNSEEN) CHILDREN)');
  t.same(l.untagged, ['* LIST (\\HasNoChildren \\Subscribed) "/" Lists/Sub', '* STATUS Lists/Sub (MESSAGES 0 UNSEEN 0)']);
  const pct = await c.cmd('LIST "" "%"');
  t.ok(pct.untagged.includes('* LIST (\\HasChildren) "/" Lists'), '% does not descend');
  t.notOk(pct.untagged.some((x) => x.includes('Lists/Sub')));
  t.ok((await c.cmd('LSUB "" "*"')).untagged.includes('* LSUB (\\HasNoChildren) "/" Lists/Sub'));
  t.ok((await c.cmd('LIST "" "*" RETURN (SPECIAL-USE)')).untagged.includes('* LIST (\\HasNoChildren \\Trash) "/" Trash'));
  t.match((await c.cmd('CREATE "Entw&APw-rfe"')).tagged, /OK/);
  t.ok((await c.cmd('LIST "" "Entw*"')).untagged.includes('* LIST (\\HasNoChildren) "/" Entw&APw-rfe'), 'modified UTF-7 round trip');

  const mv = await c.cmd('UID MOVE 3 Lists');
  t.match(mv.untagged[0], /^\* OK \[COPYUID \d+ 3 1\]/);
  t.ok(mv.untagged.includes('* 3 EXPUNGE'));
  t.match((await c.cmd('COPY 1 Nowhere')).tagged, /NO \[TRYCREATE\]/);
  t.match((await c.cmd('APPEND Nowhere {1}\r\nx')).tagged, /NO \[TRYCREATE\]/);

  t.match((await c.cmd('EXAMINE INBOX')).tagged, /OK \[READ-ONLY\]/);
  t.match((await c.cmd('STORE 1 +FLAGS (\\Deleted)')).tagged, /NO \[READ-ONLY\]/);
  await c.cmd('FETCH 3 BODY[]');
  t.notMatch((await c.cmd('FETCH 3 FLAGS')).untagged[0], /Seen/, 'EXAMINE never sets \\Seen');
  await c.cmd('SELECT INBOX');
  await c.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)');
  t.same((await c.cmd('CLOSE')).untagged, [], 'CLOSE expunges silently');
  t.match((await c.cmd('STATUS INBOX (MESSAGES UIDNEXT)')).untagged[0], /MESSAGES 2 UIDNEXT 5/);
  await c.cmd('SELECT INBOX');
  t.match((await c.cmd('UNSELECT')).tagged, /OK/);
  t.match((await c.cmd('FETCH 1 FLAGS')).tagged, /BAD/);
  t.match((await c.cmd('GETQUOTAROOT INBOX')).untagged.join('\n'), /\* QUOTAROOT INBOX ""\n\* QUOTA "" \(STORAGE \d+ \d+\)/);
  t.match((await c.cmd('RENAME Lists Archive2')).tagged, /OK/);
  t.match((await c.cmd('DELETE INBOX')).tagged, /NO/);
  // A big literal goes to a temp file, the store takes it over, ranges stream back out.
  const line = 'x'.repeat(998) + '\r\n';
  const big = `Subject: big\r\n\r\n${line.repeat(300)}`;
  t.match((await c.cmd(`APPEND INBOX {${big.length}+}\r\n${big}`)).tagged, /OK \[APPENDUID \d+ 5\]/);
  await c.cmd('SELECT INBOX');
  const part = await c.cmd('UID FETCH 5 (RFC822.SIZE BODY.PEEK[TEXT]<200000.10>)');
  t.match(part.raw, new RegExp(`RFC822.SIZE ${big.length} BODY\\[TEXT\\]<200000> \\{10\\}\r\n${line.slice(200000 % 1000, 200000 % 1000 + 10).replace(/\r/g, '\\r')}`));
  const whole = await c.cmd('UID FETCH 5 BODY.PEEK[]');
  t.ok(whole.raw.includes(`{${big.length}}\r\n${big})`), 'whole message streams back');
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(`${s.root}/tmp`).filter((f) => f.startsWith('imap-')), [], 'no temp file left behind');
  t.match((await c.cmd('LOGOUT')).untagged[0], /BYE/);
});
