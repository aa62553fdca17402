/**
 * Calendar views (reference.md "Webmail Calendar UI"): `.cal-grid.month`, `.cal-grid.week`,
 * `.cal-grid.day`, `.agenda-list`, each event a `.cal-event[data-uid][data-calendar]`; the
 * sidebar's calendars are `.cal-row[data-calendar][data-visible]` with a visibility toggle
 * form. Dates are UTC days (YYYY-MM-DD). Pure: data in, HTML out.
 */
import { esc, abs, seg, csrfField } from './html.js';

/** The four views. */
export type CalView = 'month' | 'week' | 'day' | 'agenda';

/** An occurrence to draw. */
export interface CalItem {
  calendar: string;
  uid: string;
  summary: string;
  location: string;
  start: number;
  end: number;
  allDay: boolean;
  color: string;
}

/** A calendar in the sidebar. */
export interface CalRowData {
  name: string;
  displayname: string;
  color: string;
  visible: boolean;
}

/** What a calendar screen shows. */
export interface CalData {
  base: string;
  csrf: string;
  view: CalView;
  /** The focused day, ms at 00:00 UTC. */
  day: number;
  /** The range drawn [start, end). */
  start: number;
  end: number;
  items: CalItem[];
  today: number;
}

const DAY = 86_400_000;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** `YYYY-MM-DD` of a UTC ms. */
export const ymd = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const hm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** The range a view draws around a day: month = whole weeks (Mon-Sun) covering the month. */
export function viewRange(view: CalView, day: number): { start: number; end: number } {
  const d = new Date(day);
  const monday = (ms: number) => ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY;
  if (view === 'day') return { start: day, end: day + DAY };
  if (view === 'week') return { start: monday(day), end: monday(day) + 7 * DAY };
  if (view === 'agenda') return { start: day, end: day + 30 * DAY };
  const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const start = monday(first);
  const end = monday(next - DAY) + 7 * DAY;
  return { start, end };
}

/** The day `n` steps of `view` away. */
export function stepDay(view: CalView, day: number, n: number): number {
  const d = new Date(day);
  if (view === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
  return day + n * (view === 'week' ? 7 : view === 'agenda' ? 30 : 1) * DAY;
}

const viewUrl = (base: string, view: CalView, day: number): string => abs(base, `/webmail/calendar/${view}?date=${ymd(day)}`);

/** One event chip. */
export function eventChip(base: string, e: CalItem): string {
  const time = e.allDay ? '' : `<time class="cal-time" datetime="${new Date(e.start).toISOString()}">${hm(e.start)}</time> `;
  return `<a class="cal-event${e.allDay ? ' all-day' : ''}" data-uid="${esc(e.uid)}" data-calendar="${esc(e.calendar)}" `
    + `data-start="${new Date(e.start).toISOString()}" data-end="${new Date(e.end).toISOString()}" `
    + `href="${abs(base, `/webmail/calendar/event/${seg(e.calendar)}/${seg(e.uid)}`)}">${time}`
    + `<span class="cal-title">${esc(e.summary || '(no title)')}</span></a>`;
}

const onDay = (items: CalItem[], day: number): CalItem[] =>
  items.filter((e) => (e.end > e.start ? e.start < day + DAY && e.end > day : e.start >= day && e.start < day + DAY));

function title(d: CalData): string {
  const dt = new Date(d.day);
  if (d.view === 'month') return `${MONTHS[dt.getUTCMonth()]} ${dt.getUTCFullYear()}`;
  if (d.view === 'week') return `Week of ${ymd(d.start)}`;
  if (d.view === 'agenda') return `Agenda from ${ymd(d.start)}`;
  return `${WEEKDAYS[(dt.getUTCDay() + 6) % 7]} ${ymd(d.day)}`;
}

function toolbar(d: CalData): string {
  const views = (['month', 'week', 'day', 'agenda'] as CalView[]).map((v) =>
    `<a class="view-${v}${v === d.view ? ' active' : ''}" href="${viewUrl(d.base, v, d.day)}"${v === d.view ? ' aria-current="page"' : ''}>${v[0]!.toUpperCase()}${v.slice(1)}</a>`).join('');
  return `<div class="cal-toolbar"><h1 class="cal-title-range">${esc(title(d))}</h1>`
    + `<nav class="cal-nav" aria-label="Dates"><a class="cal-prev" href="${viewUrl(d.base, d.view, stepDay(d.view, d.day, -1))}">‹ Prev</a>`
    + `<a class="cal-today" href="${viewUrl(d.base, d.view, d.today)}">Today</a>`
    + `<a class="cal-next" href="${viewUrl(d.base, d.view, stepDay(d.view, d.day, 1))}">Next ›</a></nav>`
    + `<nav class="cal-views" aria-label="Views">${views}</nav>`
    + `<a class="button primary cal-new" href="${abs(d.base, `/webmail/calendar/event/new?date=${ymd(d.day)}`)}">New event</a></div>`;
}

function month(d: CalData): string {
  const focusMonth = new Date(d.day).getUTCMonth();
  let rows = '';
  for (let w = d.start; w < d.end; w += 7 * DAY) {
    let cells = '';
    for (let day = w; day < w + 7 * DAY; day += DAY) {
      const cls = ['cal-day', new Date(day).getUTCMonth() !== focusMonth ? 'other-month' : '', day === d.today ? 'today' : '']
        .filter(Boolean).join(' ');
      const chips = onDay(d.items, day).map((e) => `<li>${eventChip(d.base, e)}</li>`).join('');
      cells += `<td class="${cls}" data-date="${ymd(day)}"><a class="day-link" href="${viewUrl(d.base, 'day', day)}">${new Date(day).getUTCDate()}</a>`
        + `${chips ? `<ul class="day-events">${chips}</ul>` : ''}</td>`;
    }
    rows += `<tr>${cells}</tr>`;
  }
  return `<table class="cal-grid month" data-start="${ymd(d.start)}" data-end="${ymd(d.end)}">`
    + `<thead><tr>${WEEKDAYS.map((n) => `<th scope="col">${n}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

function columns(d: CalData, cls: 'week' | 'day'): string {
  let cols = '';
  for (let day = d.start; day < d.end; day += DAY) {
    const dt = new Date(day);
    const items = onDay(d.items, day);
    const list = items.length ? `<ul class="day-events">${items.map((e) => `<li>${eventChip(d.base, e)}</li>`).join('')}</ul>`
      : '<p class="cal-empty">No events</p>';
    cols += `<div class="cal-day${day === d.today ? ' today' : ''}" data-date="${ymd(day)}">`
      + `<h2 class="cal-day-head"><a class="day-link" href="${viewUrl(d.base, 'day', day)}">${WEEKDAYS[(dt.getUTCDay() + 6) % 7]} ${dt.getUTCDate()}</a></h2>${list}</div>`;
  }
  return `<div class="cal-grid ${cls}" data-start="${ymd(d.start)}" data-end="${ymd(d.end)}">${cols}</div>`;
}

function agenda(d: CalData): string {
  const days: string[] = [];
  for (let day = d.start; day < d.end; day += DAY) {
    const items = onDay(d.items, day);
    if (!items.length) continue;
    days.push(`<li class="agenda-day" data-date="${ymd(day)}"><h2>${ymd(day)}</h2><ul>${items.map((e) => `<li>${eventChip(d.base, e)}`
      + `${e.location ? ` <span class="cal-location">${esc(e.location)}</span>` : ''}</li>`).join('')}</ul></li>`);
  }
  return `<ol class="agenda-list" data-start="${ymd(d.start)}" data-end="${ymd(d.end)}">${days.join('')}</ol>`
    + (days.length ? '' : '<p class="cal-empty">Nothing scheduled in the next 30 days.</p>');
}

/** The whole calendar screen (inside main.content). */
export function calendarView(d: CalData): string {
  const body = d.view === 'month' ? month(d) : d.view === 'agenda' ? agenda(d) : columns(d, d.view);
  return `<section class="calendar" data-view="${d.view}" data-date="${ymd(d.day)}">${toolbar(d)}${body}</section>`;
}

/** The calendars list for the sidebar, with visibility toggles and the import form link. */
export function calendarSidebar(base: string, csrf: string, rows: CalRowData[], back: string): string {
  const items = rows.map((r) =>
    `<li class="cal-row" data-calendar="${esc(r.name)}" data-visible="${r.visible}">`
    + `<form method="post" action="${abs(base, '/webmail/calendar/visibility')}">${csrfField(csrf)}`
    + `<input type="hidden" name="calendar" value="${esc(r.name)}"><input type="hidden" name="back" value="${esc(back)}">`
    + `<button type="submit" class="cal-toggle" aria-pressed="${r.visible}">`
    + `<span class="cal-check">${r.visible ? '☑' : '☐'}</span> ${esc(r.displayname)}</button></form></li>`).join('');
  return `<section class="cal-calendars"><h3>Calendars</h3><ul class="cal-list">${items}</ul>`
    + `<a class="cal-import-link" href="${abs(base, '/webmail/calendar/import')}">Import .ics</a></section>`;
}
