/** Small helpers shared by the CalDAV protocol tests. */
import { request, type TestResponse } from '../../helpers/http.js';

/** alice's Basic credentials. */
export const ALICE: [string, string] = ['alice@example.com', 'pw-alice'];

/** A VCALENDAR with one VEVENT. */
export const ev = (uid: string, start: string, end: string, extra = ''): string =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\n`
  + `DTSTART:${start}\r\nDTEND:${end}\r\nSUMMARY:Event ${uid}\r\n${extra}END:VEVENT\r\nEND:VCALENDAR\r\n`;

/** Send a DAV request as alice (or `basic`). */
export function dav(url: string, method: string, body?: string, headers: Record<string, string> = {}, basic: [string, string] = ALICE): Promise<TestResponse> {
  return request(url, { method, body, basic, headers });
}

/** The calendar-query body for a VEVENT time-range, optionally with expand. */
export const rangeQuery = (start: string, end: string, expand = false): string =>
  `<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>`
  + `<C:calendar-data>${expand ? `<C:expand start="${start}" end="${end}"/>` : ''}</C:calendar-data></D:prop>`
  + `<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="${start}" end="${end}"/>`
  + `</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`;

/** Hrefs of the D:response elements of a multistatus. */
export const hrefs = (xml: string): string[] => [...xml.matchAll(/<D:href>([^<]*)<\/D:href><D:(?:propstat|status)/g)].map((m) => m[1]!);
