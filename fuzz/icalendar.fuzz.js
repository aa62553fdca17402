// Jazzer.js target: iCalendar validation of CalDAV PUT and range expansion. Anything but
// ValidationError is a finding.
import { validateResource } from '../dist/common/icalendar/validate.js';
import { instancesIn } from '../dist/common/icalendar/instances.js';
import { alarmsIn } from '../dist/common/icalendar/alarms.js';
import { ValidationError } from '../dist/common/errors.js';

const FROM = Date.UTC(2023, 0, 1);
const TO = FROM + 366 * 86_400_000;

export function fuzz(data) {
  let res;
  try {
    res = validateResource(data.toString('utf8'));
  } catch (err) {
    if (err instanceof ValidationError) return;
    throw err;
  }
  try {
    instancesIn(res.cal, FROM, TO);
    alarmsIn(res.cal, FROM, FROM + 7 * 86_400_000);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
  }
}
