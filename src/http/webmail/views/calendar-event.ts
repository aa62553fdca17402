/**
 * Event detail (`.event-detail[data-uid][data-calendar]`), the create/edit form, and the .ics
 * import form (reference.md "Webmail Calendar UI"). Pure: data in, HTML out.
 */
import { esc, abs, seg, csrfField } from './html.js';

/** An event's fields as the form and detail show them (UTC). */
export interface EventView {
  summary: string;
  location: string;
  description: string;
  date: string;
  endDate?: string;
  start: string;
  end: string;
  allDay: boolean;
  repeat: string;
  count: string;
  attendees: string[];
  organizer: string;
  partstats: { email: string; partstat: string }[];
}

/** The event detail page body. */
export function eventDetailView(base: string, csrf: string, calendar: string, uid: string, e: EventView, me: string): string {
  const path = `/webmail/calendar/event/${seg(calendar)}/${seg(uid)}`;
  const last = e.endDate && e.endDate !== e.date ? e.endDate : '';
  const when = e.allDay ? `${e.date}${last ? ` – ${last}` : ''} (all day)` : `${e.date} ${e.start} – ${last ? `${last} ` : ''}${e.end} UTC`;
  const people = e.partstats.map((a) =>
    `<li class="attendee" data-email="${esc(a.email)}" data-partstat="${esc(a.partstat)}">${esc(a.email)} <span class="partstat">${esc(a.partstat.toLowerCase())}</span></li>`).join('');
  const mine = e.partstats.find((a) => a.email === me.toLowerCase());
  const rsvp = mine && e.organizer !== me.toLowerCase()
    ? `<form class="rsvp-form" method="post" action="${abs(base, `${path}/respond`)}">${csrfField(csrf)}<span>Your answer:</span>`
      + ['ACCEPTED', 'TENTATIVE', 'DECLINED'].map((r) =>
        `<button type="submit" name="response" value="${r}" class="rsvp-${r.toLowerCase()}${mine.partstat === r ? ' primary' : ''}">${r[0]}${r.slice(1).toLowerCase()}</button>`).join('')
      + `</form>` : '';
  return `<article class="event-detail" data-uid="${esc(uid)}" data-calendar="${esc(calendar)}">`
    + `<h1 class="event-summary">${esc(e.summary || '(no title)')}</h1>`
    + `<dl class="event-fields"><dt>When</dt><dd class="event-when">${esc(when)}</dd>`
    + (e.repeat ? `<dt>Repeats</dt><dd class="event-repeat">${esc(e.repeat.toLowerCase())}${e.count ? `, ${esc(e.count)} times` : ''}</dd>` : '')
    + (e.location ? `<dt>Where</dt><dd class="event-location">${esc(e.location)}</dd>` : '')
    + `<dt>Calendar</dt><dd>${esc(calendar)}</dd>`
    + (e.organizer ? `<dt>Organizer</dt><dd class="event-organizer">${esc(e.organizer)}</dd>` : '')
    + `</dl>`
    + (e.description ? `<p class="event-description">${esc(e.description)}</p>` : '')
    + (people ? `<h2>Attendees</h2><ul class="attendees">${people}</ul>` : '')
    + rsvp
    + `<div class="event-actions"><a class="button action-edit" href="${abs(base, `${path}/edit`)}">Edit</a>`
    + `<form method="post" action="${abs(base, `${path}/delete`)}">${csrfField(csrf)}<button type="submit" class="action-delete">Delete</button></form>`
    + `<a class="button" href="${abs(base, `/webmail/calendar/month?date=${e.date}`)}">Back to the calendar</a></div></article>`;
}

/** The create/edit form. `action` is the POST path; `calendars` the choice for a new event. */
export function eventFormView(
  base: string, csrf: string, action: string, e: Partial<EventView>, calendars: string[] | null, error?: string,
): string {
  const v = (k: keyof EventView) => esc(String(e[k] ?? ''));
  const input = (name: string, label: string, value: string, type = 'text', extra = '') =>
    `<label for="ev-${name}">${label}</label><input id="ev-${name}" name="${name}" type="${type}" value="${value}"${extra}>`;
  const cal = calendars
    ? `<label for="ev-calendar">Calendar</label><select id="ev-calendar" name="calendar">${calendars.map((c) => `<option value="${esc(c)}">${esc(c)}</option>`).join('')}</select>`
    : '';
  const repeat = ['', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].map((r) =>
    `<option value="${r}"${(e.repeat ?? '') === r ? ' selected' : ''}>${r ? r.toLowerCase() : 'does not repeat'}</option>`).join('');
  return `<section class="event-form-page"><h1>${calendars ? 'New event' : 'Edit event'}</h1>`
    + (error ? `<p class="form-error" role="alert">${esc(error)}</p>` : '')
    + `<form class="event-form compose-form" method="post" action="${abs(base, action)}">${csrfField(csrf)}${cal}`
    + input('summary', 'Title', v('summary'), 'text', ' required')
    + input('date', 'Date', v('date'), 'date', ' required')
    + input('end_date', 'End date (multi-day events)', esc(e.endDate && e.endDate !== e.date ? e.endDate : ''), 'date')
    + `<label class="inline"><input type="checkbox" name="all_day" value="on"${e.allDay ? ' checked' : ''}> All day</label>`
    + input('start', 'Starts (UTC)', v('start'), 'time') + input('end', 'Ends (UTC)', v('end'), 'time')
    + input('location', 'Location', v('location'))
    + `<label for="ev-description">Description</label><textarea id="ev-description" name="description" rows="4">${v('description')}</textarea>`
    + `<label for="ev-repeat">Repeat</label><select id="ev-repeat" name="repeat">${repeat}</select>`
    + input('count', 'Occurrences (empty = forever)', v('count'), 'number', ' min="1" max="999"')
    + input('attendees', 'Attendees (comma separated, invitations are emailed)', esc((e.attendees ?? []).join(', ')))
    + `<div class="compose-actions"><button type="submit" class="primary action-save">Save</button></div></form></section>`;
}

/** The import form: paste a .ics body (POSTing raw text/calendar works too). */
export function importView(base: string, csrf: string, calendars: string[], notice?: string): string {
  return `<section class="cal-import"><h1>Import events</h1>${notice ? `<p class="notice">${esc(notice)}</p>` : ''}`
    + `<form class="compose-form" method="post" action="${abs(base, `/webmail/calendar/import?csrf=${encodeURIComponent(csrf)}`)}">${csrfField(csrf)}`
    + `<label for="imp-cal">Calendar</label><select id="imp-cal" name="calendar">${calendars.map((c) => `<option>${esc(c)}</option>`).join('')}</select>`
    + `<label for="imp-ics">iCalendar (.ics) text</label><textarea id="imp-ics" name="ics" rows="14" required></textarea>`
    + `<div class="compose-actions"><button type="submit" class="primary">Import</button></div></form></section>`;
}
