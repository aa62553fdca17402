// Jazzer.js target: the DAV XML body parsers of CalDAV and Drive. Anything but HttpError 4xx is a finding.
import { parseXml as caldav } from '../dist/http/caldav/xml.js';
import { parseXml as drive } from '../dist/http/drive/xml.js';
import { HttpError } from '../dist/common/errors.js';

export function fuzz(data) {
  const text = data.toString('utf8');
  for (const parse of [caldav, drive]) {
    try {
      parse(text);
    } catch (err) {
      if (!(err instanceof HttpError && err.status >= 400 && err.status < 500)) throw err;
    }
  }
}
