/**
 * RFC 4791 expand and limit-recurrence-set output.
 */
import ICAL from 'ical.js';
import type { Component } from './parse.js';
import { icalUtc, boundsOf, overlaps } from './time.js';
import { instancesIn } from './instances.js';

/** The lines expand rewrites, and the forms they already have in expanded output. */
const EXPAND_LINE = /^(?:DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|RECURRENCE-ID|BEGIN:VTIMEZONE)\b.*$/gim;
const EXPANDED_FORM = /^(?:DTSTART|DTEND)(?::\d{8}T\d{6}Z|;VALUE=DATE:\d{8})\r?$/i;

/**
 * True when RFC 4791 expand of this non-recurring resource would only restate it: every
 * DTSTART/DTEND already a UTC DATE-TIME or a DATE, no DURATION, no recurrence properties, no
 * VTIMEZONE. Such a resource can be sent as stored (a time-range query then needs no parse).
 */
export function expandsToItself(text: string): boolean {
  for (const m of text.matchAll(EXPAND_LINE)) if (!EXPANDED_FORM.test(m[0])) return false;
  return true;
}

/**
 * RFC 4791 9.6.5 expand: the instances in range as separate components in UTC, each with a
 * RECURRENCE-ID; no RRULE/RDATE/EXDATE, no VTIMEZONE.
 */
export function expandCalendar(cal: Component, rangeStart: number, rangeEnd: number): string {
  let head = HEADS.get(cal);
  if (head === undefined) {
    head = ['BEGIN:VCALENDAR', ...cal.getAllProperties().map((p) => p.toICALString())].join('\r\n');
    HEADS.set(cal, head);
  }
  const parts: string[] = [head];
  for (const inst of instancesIn(cal, rangeStart, rangeEnd)) {
    let lines = TEMPLATES.get(inst.item);
    if (!lines) {
      lines = stripTopLevel(inst.item.toString(), EXPAND_STRIP);
      TEMPLATES.set(inst.item, lines);
    }
    const v = inst.allDay ? ';VALUE=DATE' : '';
    const add = [`DTSTART${v}:${icalUtc(inst.start, inst.allDay)}`];
    if (inst.end !== inst.start) add.push(`DTEND${v}:${icalUtc(inst.end, inst.allDay)}`);
    if (inst.recurrenceId !== null) add.push(`RECURRENCE-ID${v}:${icalUtc(inst.recurrenceId, inst.allDay)}`);
    parts.push([lines[0]!, ...add, ...lines.slice(1)].join('\r\n'));
  }
  parts.push('END:VCALENDAR\r\n');
  return parts.join('\r\n');
}

const HEADS = new WeakMap<Component, string>();
const TEMPLATES = new WeakMap<Component, string[]>();
const EXPAND_STRIP = new Set(['RRULE', 'RDATE', 'EXDATE', 'DTSTART', 'DTEND', 'DURATION', 'RECURRENCE-ID']);

/** The lines of a component's text without the named top-level properties (folded lines kept whole). */
function stripTopLevel(text: string, names: Set<string>): string[] {
  const out: string[] = [];
  let depth = 0;
  let dropping = false;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (!dropping) out.push(line);
      continue;
    }
    const name = /^[A-Za-z0-9-]+/.exec(line)?.[0].toUpperCase() ?? '';
    if (name === 'BEGIN') depth++;
    dropping = depth === 1 && names.has(name);
    if (!dropping) out.push(line);
    if (name === 'END') depth--;
  }
  return out;
}

/** RFC 4791 9.6.6 limit-recurrence-set: the master plus only the overrides overlapping the range. */
export function limitRecurrenceSet(cal: Component, rangeStart: number, rangeEnd: number): string {
  const c = ICAL.Component.fromString(cal.toString());
  for (const o of c.getAllSubcomponents().filter((x) => x.hasProperty('recurrence-id'))) {
    const b = boundsOf(o);
    if (b && !overlaps(b.start, b.end, rangeStart, rangeEnd)) c.removeSubcomponent(o);
  }
  return c.toString() + '\r\n';
}
