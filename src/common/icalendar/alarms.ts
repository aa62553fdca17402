/**
 * VALARM triggers of a calendar's instances (the reminder scan).
 */
import ICAL from 'ical.js';
import type { Component } from './parse.js';
import { DAY, timeToMs } from './time.js';
import { instancesIn } from './instances.js';

/** One alarm firing: the instance it belongs to and the trigger time (UTC ms). */
export interface AlarmFiring {
  uid: string;
  summary: string;
  location: string;
  start: number;
  allDay: boolean;
  recurrenceId: number | null;
  alarm: number;
  trigger: number;
}

const ALARM_MARGIN = 8 * DAY;

/**
 * VALARM triggers falling in [from, to): relative (RELATED=START or END, on every instance of
 * a recurring event) and absolute DATE-TIME triggers (once).
 */
export function alarmsIn(cal: Component, from: number, to: number): AlarmFiring[] {
  const out: AlarmFiring[] = [];
  const seenAbsolute = new Set<string>();
  for (const inst of instancesIn(cal, from - ALARM_MARGIN, to + ALARM_MARGIN)) {
    const c = inst.item;
    c.getAllSubcomponents('valarm').forEach((a, i) => {
      const p = a.getFirstProperty('trigger');
      if (!p) return;
      const v = p.getFirstValue();
      let trigger: number;
      if (v instanceof ICAL.Duration) {
        const related = String(p.getParameter('related') ?? 'START').toUpperCase();
        trigger = (related === 'END' ? inst.end : inst.start) + v.toSeconds() * 1000;
      } else if (v instanceof ICAL.Time) {
        trigger = timeToMs(v);
        const k = `${i}:${trigger}`;
        if (seenAbsolute.has(k)) return;
        seenAbsolute.add(k);
      } else return;
      if (trigger < from || trigger >= to) return;
      out.push({
        uid: String(c.getFirstPropertyValue('uid') ?? ''), summary: String(c.getFirstPropertyValue('summary') ?? ''),
        location: String(c.getFirstPropertyValue('location') ?? ''), start: inst.start, allDay: inst.allDay,
        recurrenceId: inst.recurrenceId, alarm: i, trigger,
      });
    });
  }
  return out;
}
