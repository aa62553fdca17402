/**
 * Worker task: evaluate a CalDAV REPORT over a batch of calendar resources — the filter
 * (recurrences expanded), the calendar-data form (full, expand, limit-recurrence-set) and
 * free-busy periods. Pure function of plain data (ical.js through common/).
 */
import { parseCalendar } from '../common/icalendar/parse.js';
import { expandCalendar, limitRecurrenceSet } from '../common/icalendar/expand.js';
import { instancesIn } from '../common/icalendar/instances.js';
import { alarmsIn, type AlarmFiring } from '../common/icalendar/alarms.js';
import { matchFilter, type CompFilter } from '../common/caldav-filter.js';

/** One resource to evaluate. */
export interface ExpandItem {
  name: string;
  ics: string;
  /** Content hash: parsed calendars (and their expanded series) are memoized by it. */
  etag?: string;
}

// Memo of parsed calendars by content hash (pure memoization: same text, same result), least
// recently used first, bounded by the text it was parsed from: a parsed tree is several times
// its text, and every worker thread keeps its own memo. Edited events leave their old hash
// behind, so a count bound alone filled each worker's heap under steady edits.
const parsed = new Map<string, { cal: ReturnType<typeof parseCalendar>; bytes: number }>();
const MEMO_TEXT_BYTES = 2 * 1024 * 1024; // ~75 MB of parsed trees for small events
let memoBytes = 0;

function parseMemo(it: ExpandItem): ReturnType<typeof parseCalendar> {
  if (!it.etag) return parseCalendar(it.ics);
  const hit = parsed.get(it.etag);
  if (hit) {
    parsed.delete(it.etag);
    parsed.set(it.etag, hit);
    return hit.cal;
  }
  const cal = parseCalendar(it.ics);
  const bytes = it.ics.length;
  if (bytes > MEMO_TEXT_BYTES / 4) return cal;
  for (const [key, old] of parsed) {
    if (memoBytes + bytes <= MEMO_TEXT_BYTES) break;
    parsed.delete(key);
    memoBytes -= old.bytes;
  }
  parsed.set(it.etag, { cal, bytes });
  memoBytes += bytes;
  return cal;
}

/** The memo's size (for tests). */
export function memoSize(): { entries: number; textBytes: number } {
  return { entries: parsed.size, textBytes: memoBytes };
}

/** The batch and what to compute. */
export interface ExpandInput {
  items: ExpandItem[];
  filter?: CompFilter;
  /** How to return calendar-data for matches: not at all, as stored, expanded, limited. */
  data: 'none' | 'full' | 'expand' | 'limit';
  range?: { start: number; end: number };
  /** Free-busy: collect busy periods over this range instead of matching. */
  freebusy?: { start: number; end: number };
  /** Reminders: collect VALARM triggers in this range instead of matching. */
  alarms?: { start: number; end: number };
}

/** Per-resource result; `busy` periods for free-busy. */
export interface ExpandOutput {
  results: { name: string; match: boolean; data?: string; error?: string }[];
  busy: { start: number; end: number; type: 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE' }[];
  alarms: (AlarmFiring & { name: string })[];
}

/** Evaluate the batch; a resource that fails to parse never matches and never breaks the batch. */
export default function expand(input: ExpandInput): ExpandOutput {
  const out: ExpandOutput = { results: [], busy: [], alarms: [] };
  for (const it of input.items) {
    try {
      const cal = parseMemo(it);
      if (input.alarms) {
        for (const a of alarmsIn(cal, input.alarms.start, input.alarms.end)) out.alarms.push({ ...a, name: it.name });
        continue;
      }
      if (input.freebusy) {
        collectBusy(cal, input.freebusy, out.busy);
        continue;
      }
      const match = input.filter ? matchFilter(cal, input.filter) : true;
      let data: string | undefined;
      if (match && input.data !== 'none') {
        if (input.data === 'expand' && input.range) data = expandCalendar(cal, input.range.start, input.range.end);
        else if (input.data === 'limit' && input.range) data = limitRecurrenceSet(cal, input.range.start, input.range.end);
        else data = it.ics;
      }
      out.results.push({ name: it.name, match, data });
    } catch (err) {
      out.results.push({ name: it.name, match: false, error: (err as Error).message });
    }
  }
  return out;
}

function collectBusy(cal: ReturnType<typeof parseCalendar>, r: { start: number; end: number }, busy: ExpandOutput['busy']): void {
  for (const inst of instancesIn(cal, r.start, r.end)) {
    const c = inst.item;
    if (c.name !== 'vevent') continue;
    if (String(c.getFirstPropertyValue('transp') ?? '').toUpperCase() === 'TRANSPARENT') continue;
    const status = String(c.getFirstPropertyValue('status') ?? '').toUpperCase();
    if (status === 'CANCELLED') continue;
    if (inst.end <= inst.start) continue;
    busy.push({
      start: Math.max(inst.start, r.start),
      end: Math.min(inst.end, r.end),
      type: status === 'TENTATIVE' ? 'BUSY-TENTATIVE' : 'BUSY',
    });
  }
}
