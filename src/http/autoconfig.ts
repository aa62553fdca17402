/**
 * Client autoconfiguration (reference.md "Autoconfig / Autodiscover", issue 5):
 * - GET /.well-known/autoconfig/mail/config-v1.1.xml[?emailaddress=] (Thunderbird; mobile
 *   clients omit the address, so it is optional) and /mail/config-v1.1.xml (ISP-style lookup);
 * - POST /autodiscover/autodiscover.xml (Outlook): SSL for implicit-TLS ports, TLS only for
 *   STARTTLS ports, because Outlook reads `<Encryption>TLS</Encryption>` as STARTTLS;
 * - GET /.well-known/apple-mobileconfig[?emailaddress=]: an Apple profile with IMAP, SMTP and CalDAV.
 * Host and ports are the configured ones (config.hostname, imap.*, smtp.*, public_url).
 */
import { XMLParser } from 'fast-xml-parser';
import { createHash } from 'node:crypto';
import { HttpError } from '../common/errors.js';
import type { Config } from '../common/types.js';
import type { Router } from './router.js';
import type { HttpRequest, Reply } from './types.js';
import type { Services } from '../services/index.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const xml = (body: string, type = 'application/xml; charset=utf-8'): Reply => ({
  status: 200,
  headers: { 'content-type': type, 'cache-control': 'no-cache' },
  body,
});

/** The address asked about (when valid) and the domain to describe (a served one). */
function target(config: Config, raw: string | null | undefined): { email: string | null; domain: string } {
  const email = raw && /^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(raw.trim()) ? raw.trim() : null;
  const asked = email?.split('@')[1]!.toLowerCase();
  const served = config.domains.filter((d) => d !== 'localhost');
  const domain = asked && config.domains.includes(asked) ? asked : served[0] ?? config.domains[0] ?? config.hostname;
  return { email, domain };
}

interface Endpoint {
  port: number;
  ssl: boolean;
}

function endpoints(config: Config): { imap: Endpoint[]; smtp: Endpoint[] } {
  const list = (tls: number | null, starttls: number | null): Endpoint[] => [
    ...(tls !== null ? [{ port: tls, ssl: true }] : []),
    ...(starttls !== null ? [{ port: starttls, ssl: false }] : []),
  ];
  return {
    imap: list(config.imap.tls_port, config.imap.port),
    smtp: list(config.smtp.submissions_port, config.smtp.submission_port),
  };
}

/** Thunderbird's config-v1.1.xml. */
export function thunderbirdConfig(config: Config, emailParam: string | null): string {
  const { domain } = target(config, emailParam);
  const host = esc(config.hostname);
  const ep = endpoints(config);
  const server = (kind: 'incomingServer' | 'outgoingServer', type: string, e: Endpoint): string => `    <${kind} type="${type}">
      <hostname>${host}</hostname>
      <port>${e.port}</port>
      <socketType>${e.ssl ? 'SSL' : 'STARTTLS'}</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </${kind}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${esc(domain)}">
    <domain>${esc(domain)}</domain>
    <displayName>${esc(domain)} mail</displayName>
    <displayShortName>${esc(domain)}</displayShortName>
${ep.imap.map((e) => server('incomingServer', 'imap', e)).join('\n')}
${ep.smtp.map((e) => server('outgoingServer', 'smtp', e)).join('\n')}
  </emailProvider>
  <calendar type="caldav">
    <username>%EMAILADDRESS%</username>
    <authentication>http-basic</authentication>
    <serverURL>${esc(config.public_url)}/caldav/%EMAILADDRESS%/calendars/</serverURL>
  </calendar>
</clientConfig>
`;
}

const parser = new XMLParser({ processEntities: false, htmlEntities: false, ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false });

/** The EMailAddress of an Outlook autodiscover request body (null when absent). */
export function autodiscoverEmail(body: Buffer): string | null {
  if (body.length === 0) return null;
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'Invalid XML');
  }
  const req = (doc.Autodiscover as Record<string, unknown> | undefined)?.Request as Record<string, unknown> | undefined;
  const email = req?.EMailAddress;
  return typeof email === 'string' ? email : null;
}

/** Outlook's autodiscover response (POX, outlook response schema 2006a). */
export function outlookConfig(config: Config, emailRaw: string | null): string {
  const { email } = target(config, emailRaw);
  const ep = endpoints(config);
  const proto = (type: string, e: Endpoint): string => `      <Protocol>
        <Type>${type}</Type>
        <Server>${esc(config.hostname)}</Server>
        <Port>${e.port}</Port>
        <DomainRequired>off</DomainRequired>
${email ? `        <LoginName>${esc(email)}</LoginName>\n` : ''}        <SPA>off</SPA>
        <SSL>on</SSL>
        <Encryption>${e.ssl ? 'SSL' : 'TLS'}</Encryption>
        <AuthRequired>on</AuthRequired>
      </Protocol>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
${[...ep.imap.map((e) => proto('IMAP', e)), ...ep.smtp.map((e) => proto('SMTP', e))].join('\n')}
    </Account>
  </Response>
</Autodiscover>
`;
}

const uuid = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
};

/** An Apple configuration profile (.mobileconfig) with IMAP + SMTP and CalDAV payloads. */
export function appleProfile(config: Config, emailParam: string | null): string {
  const { email, domain } = target(config, emailParam);
  const ep = endpoints(config);
  const imap = ep.imap[0];
  const smtp = ep.smtp[0];
  const user = email ?? '';
  const str = (k: string, v: string): string => `\t\t\t<key>${k}</key>\n\t\t\t<string>${esc(v)}</string>`;
  const int = (k: string, v: number): string => `\t\t\t<key>${k}</key>\n\t\t\t<integer>${v}</integer>`;
  const bool = (k: string, v: boolean): string => `\t\t\t<key>${k}</key>\n\t\t\t<${v}/>`;
  const url = new URL(config.public_url);
  const mail = imap && smtp ? `\t\t<dict>
${str('PayloadType', 'com.apple.mail.managed')}
${str('PayloadIdentifier', `${config.hostname}.mail.${domain}`)}
${str('PayloadUUID', uuid(`mail:${domain}:${user}`))}
${int('PayloadVersion', 1)}
${str('PayloadDisplayName', `${domain} mail`)}
${str('EmailAccountDescription', `${domain} mail`)}
${str('EmailAccountType', 'EmailTypeIMAP')}
${str('EmailAddress', user)}
${str('IncomingMailServerHostName', config.hostname)}
${int('IncomingMailServerPortNumber', imap.port)}
${bool('IncomingMailServerUseSSL', true)}
${str('IncomingMailServerAuthentication', 'EmailAuthPassword')}
${str('IncomingMailServerUsername', user)}
${str('OutgoingMailServerHostName', config.hostname)}
${int('OutgoingMailServerPortNumber', smtp.port)}
${bool('OutgoingMailServerUseSSL', true)}
${str('OutgoingMailServerAuthentication', 'EmailAuthPassword')}
${str('OutgoingMailServerUsername', user)}
${bool('OutgoingPasswordSameAsIncomingPassword', true)}
\t\t</dict>\n` : '';
  const caldav = `\t\t<dict>
${str('PayloadType', 'com.apple.caldav.account')}
${str('PayloadIdentifier', `${config.hostname}.caldav.${domain}`)}
${str('PayloadUUID', uuid(`caldav:${domain}:${user}`))}
${int('PayloadVersion', 1)}
${str('PayloadDisplayName', `${domain} calendar`)}
${str('CalDAVAccountDescription', `${domain} calendar`)}
${str('CalDAVHostName', url.hostname)}
${int('CalDAVPort', Number(url.port || (url.protocol === 'https:' ? 443 : 80)))}
${bool('CalDAVUseSSL', url.protocol === 'https:')}
${str('CalDAVPrincipalURL', `${config.public_url}/caldav/${user}/`)}
${str('CalDAVUsername', user)}
\t\t</dict>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>PayloadContent</key>
\t<array>
${mail}${caldav}\t</array>
\t<key>PayloadDisplayName</key>
\t<string>${esc(domain)} mail and calendar</string>
\t<key>PayloadIdentifier</key>
\t<string>${esc(config.hostname)}.profile.${esc(domain)}</string>
\t<key>PayloadType</key>
\t<string>Configuration</string>
\t<key>PayloadUUID</key>
\t<string>${uuid(`profile:${domain}:${user}`)}</string>
\t<key>PayloadVersion</key>
\t<integer>1</integer>
</dict>
</plist>
`;
}

/** Register the autoconfig routes (no authentication: they only describe the server). */
export function registerAutoconfigRoutes(router: Router, services: Services): void {
  const { config } = services;
  const tb = async (req: HttpRequest): Promise<Reply> => xml(thunderbirdConfig(config, req.query.get('emailaddress')));
  router.on(['GET', 'HEAD'], '/.well-known/autoconfig/mail/config-v1.1.xml', { auth: 'none' }, tb);
  router.on(['GET', 'HEAD'], '/mail/config-v1.1.xml', { auth: 'none' }, tb);
  const ad = async (req: HttpRequest): Promise<Reply> => xml(outlookConfig(config, autodiscoverEmail(await req.body(64 * 1024))));
  router.on('POST', '/autodiscover/autodiscover.xml', { auth: 'none' }, ad);
  router.on('POST', '/Autodiscover/Autodiscover.xml', { auth: 'none' }, ad);
  router.on(['GET', 'HEAD'], '/.well-known/apple-mobileconfig', { auth: 'none' }, async (req) => ({
    ...xml(appleProfile(config, req.query.get('emailaddress')), 'application/x-apple-aspen-config'),
    headers: { 'content-type': 'application/x-apple-aspen-config', 'content-disposition': 'attachment; filename="rmail.mobileconfig"' },
  }));
}
