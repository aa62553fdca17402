import t from 'tap';
import { XMLParser } from 'fast-xml-parser';
import { startTestServer } from '../../helpers/server.js';

t.test('Thunderbird, Outlook and Apple autoconfiguration', async (t) => {
  const s = await startTestServer(t, { hostname: 'mail.example.com' });
  const parse = (x: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(x);

  for (const q of ['?emailaddress=alice%40example.com', '']) {
    const r = await fetch(`${s.url}/.well-known/autoconfig/mail/config-v1.1.xml${q}`);
    t.equal(r.status, 200);
    t.match(r.headers.get('content-type'), /xml/);
    t.equal(r.headers.get('access-control-allow-origin'), '*');
    const doc = parse(await r.text());
    const p = doc.clientConfig.emailProvider;
    t.equal(p.id, 'example.com');
    const imap = [p.incomingServer].flat();
    t.same(imap.map((i: { port: number; socketType: string; hostname: string }) => [i.hostname, i.port, i.socketType]), [
      ['mail.example.com', s.ports.imaps, 'SSL'],
      ['mail.example.com', s.ports.imap, 'STARTTLS'],
    ]);
    t.same([p.outgoingServer].flat().map((o: { socketType: string }) => o.socketType), ['SSL', 'STARTTLS']);
    t.equal(imap[0].username, '%EMAILADDRESS%');
  }

  const body = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@example.com</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
  const ad = await fetch(`${s.url}/autodiscover/autodiscover.xml`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
  t.equal(ad.status, 200);
  const acct = parse(await ad.text()).Autodiscover.Response.Account;
  const protos = acct.Protocol as { Type: string; Port: number; Encryption: string; LoginName: string; Server: string }[];
  t.same(protos.map((p) => [p.Type, p.Port, p.Encryption]), [
    ['IMAP', s.ports.imaps, 'SSL'], ['IMAP', s.ports.imap, 'TLS'],
    ['SMTP', s.config.smtp.submissions_port, 'SSL'], ['SMTP', s.config.smtp.submission_port, 'TLS'],
  ]);
  t.equal(protos[0]!.LoginName, 'alice@example.com');
  t.equal(protos[0]!.Server, 'mail.example.com');
  const badXml = await fetch(`${s.url}/autodiscover/autodiscover.xml`, { method: 'POST', body: '<Autodiscover><Request>', headers: { 'content-type': 'text/xml' } });
  t.ok(badXml.status === 400 || badXml.status === 200, 'broken XML never a 500');

  const mc = await fetch(`${s.url}/.well-known/apple-mobileconfig?emailaddress=alice@example.com`);
  t.equal(mc.status, 200);
  t.equal(mc.headers.get('content-type'), 'application/x-apple-aspen-config');
  const text = await mc.text();
  t.match(text, /com\.apple\.mail\.managed/);
  t.match(text, /com\.apple\.caldav\.account/);
  t.match(text, new RegExp(`<key>IncomingMailServerPortNumber</key>\\s*<integer>${s.ports.imaps}</integer>`));
  t.match(text, /<key>EmailAddress<\/key>\s*<string>alice@example\.com<\/string>/);
});
