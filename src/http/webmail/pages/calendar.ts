/**
 * The calendar screens (reference.md "Webmail Calendar UI"): GET /webmail/calendar[/{view}]
 * (month, week, day, agenda; `?date=YYYY-MM-DD`), event detail, GET/POST event/new,
 * event/{calendar}/{uid}/edit, POST .../delete, POST .../respond (PARTSTAT; the iMIP service
 * mails the REPLY), POST /webmail/calendar/import (form field `ics`, or a raw text/calendar body
 * with ?csrf=), POST /webmail/calendar/visibility (preferences.json calendar_visible.{name}).
 * Every write goes through services.calendar (the user's actor; iMIP hooks on PUT/DELETE).
 */
import { randomUUID } from 'node:crypto';
import type { Router } from '../../router.js';
import type { Reply } from '../../types.js';
import { HttpError } from '../../../common/errors.js';
import { type WebContext, type WebRequest, page, redirect, readForm } from '../web.js';
import { calendarView, calendarSidebar, viewRange, ymd, type CalView } from '../views/calendar-grid.js';
import { eventDetailView, eventFormView, importView } from '../views/calendar-event.js';
import { calendarRows, occurrences } from '../calendar/occurrences.js';
import { parseEventForm, newEventText, editEventText, respondText, eventFields } from '../calendar/ics.js';
import { splitImport } from '../calendar/import.js';
import { nameForUid } from '../../../services/imip.js';
import { backUrl, folders, shellPage } from './mail-common.js';

const VIEWS: CalView[] = ['month', 'week', 'day', 'agenda'];
const DAY = 86_400_000;

function dayParam(v: string | null): number {
  if (!v) {
    const n = new Date();
    return Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate());
  }
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, 'date must be YYYY-MM-DD');
  return ms;
}

async function calendarShell(ctx: WebContext, w: WebRequest, title: string, content: string, status = 200): Promise<Reply> {
  const [list, rows] = await Promise.all([folders(ctx, w), calendarRows(ctx.services, w.principal.id)]);
  const back = `${ctx.base}${w.req.rawPath}${w.req.query.size ? `?${w.req.query}` : ''}`;
  return shellPage(ctx, w, {
    title, section: 'calendar', folders: list, content, sidebarExtra: calendarSidebar(ctx.base, w.session.csrf, rows, back),
  }, { status });
}

async function viewPage(ctx: WebContext, w: WebRequest, view: CalView): Promise<Reply> {
  const day = dayParam(w.req.query.get('date'));
  const { start, end } = viewRange(view, day);
  const rows = await calendarRows(ctx.services, w.principal.id);
  const items = await occurrences(ctx.services, w.principal.id, rows, start, end);
  const t = new Date();
  const today = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  const content = calendarView({ base: ctx.base, csrf: w.session.csrf, view, day, start, end, items, today });
  return calendarShell(ctx, w, `Calendar (${view})`, content);
}

async function findEvent(ctx: WebContext, w: WebRequest): Promise<{ cal: string; name: string; text: string; uid: string }> {
  const cal = w.req.params.calendar!;
  const uid = w.req.params.uid!;
  const store = await ctx.services.calendar.get(w.principal.id, cal).catch(() => undefined);
  const name = store?.nameOfUid(uid);
  const ev = name !== undefined ? await ctx.services.calendar.read(w.principal.id, cal, name) : undefined;
  if (!ev || name === undefined) throw new HttpError(404, 'No such event');
  return { cal, name, text: ev.text, uid };
}

const eventUrl = (ctx: WebContext, cal: string, uid: string): string =>
  `${ctx.base}/webmail/calendar/event/${encodeURIComponent(cal)}/${encodeURIComponent(uid)}`;

async function createEvent(ctx: WebContext, w: WebRequest): Promise<Reply> {
  const names = (await calendarRows(ctx.services, w.principal.id)).map((r) => r.name).filter((n) => n !== 'Schedule-Inbox');
  const cal = w.form.get('calendar') ?? names[0] ?? 'default';
  if (!names.includes(cal)) throw new HttpError(400, 'Choose one of your calendars');
  let form;
  try {
    form = parseEventForm(w.form);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    const content = eventFormView(ctx.base, w.session.csrf, '/webmail/calendar/event/new', Object.fromEntries(w.form), names, err.message);
    return calendarShell(ctx, w, 'New event', content, err.status);
  }
  const uid = randomUUID();
  await ctx.services.calendar.put(w.principal.id, cal, nameForUid(uid), newEventText(form, uid, w.principal.id), { ifNoneMatch: '*' });
  return redirect(eventUrl(ctx, cal, uid));
}

async function importEvents(ctx: WebContext, w: WebRequest): Promise<Reply> {
  const type = (w.req.headers['content-type'] ?? '').toLowerCase();
  let text: string;
  let cal = w.req.query.get('calendar') ?? 'default';
  if (type.startsWith('application/x-www-form-urlencoded')) {
    const f = await readForm(w.req, 4 * 1024 * 1024);
    text = f.get('ics') ?? '';
    cal = f.get('calendar') ?? cal;
  } else if (type.startsWith('text/calendar')) {
    text = (await w.req.body(4 * 1024 * 1024)).toString('utf8');
  } else throw new HttpError(415, 'Send text/calendar, or the import form');
  const names = (await calendarRows(ctx.services, w.principal.id)).map((r) => r.name);
  if (!names.includes(cal)) throw new HttpError(400, 'No such calendar');
  const items = splitImport(text);
  const store = await ctx.services.calendar.require(w.principal.id, cal);
  for (const [uid, ics] of items) {
    const name = store.nameOfUid(uid) ?? nameForUid(uid);
    await ctx.services.calendar.put(w.principal.id, cal, name, ics, {}, { schedule: false });
  }
  return redirect(`${ctx.base}/webmail/calendar/agenda?date=${ymd(Date.now() - (Date.now() % DAY))}&imported=${items.length}`);
}

/** Register the calendar routes (before the mail catch-alls). */
export function registerCalendarRoutes(router: Router, ctx: WebContext): void {
  const get = ['GET', 'HEAD'];
  router.on(get, '/webmail/calendar', { auth: 'none' }, page(ctx, async () => redirect(`${ctx.base}/webmail/calendar/month`)));
  router.on(get, '/webmail/calendar/event/new', { auth: 'none' }, page(ctx, async (w) => {
    const names = (await calendarRows(ctx.services, w.principal.id)).map((r) => r.name).filter((n) => n !== 'Schedule-Inbox');
    const date = ymd(dayParam(w.req.query.get('date')));
    const content = eventFormView(ctx.base, w.session.csrf, '/webmail/calendar/event/new', { date, start: '09:00', end: '10:00' }, names);
    return calendarShell(ctx, w, 'New event', content);
  }));
  router.on('POST', '/webmail/calendar/event/new', { auth: 'none' }, page(ctx, (w) => createEvent(ctx, w)));
  router.on(get, '/webmail/calendar/event/:calendar/:uid', { auth: 'none' }, page(ctx, async (w) => {
    const ev = await findEvent(ctx, w);
    const content = eventDetailView(ctx.base, w.session.csrf, ev.cal, ev.uid, eventFields(ev.text), w.principal.id);
    return calendarShell(ctx, w, 'Event', content);
  }));
  router.on(get, '/webmail/calendar/event/:calendar/:uid/edit', { auth: 'none' }, page(ctx, async (w) => {
    const ev = await findEvent(ctx, w);
    const path = `/webmail/calendar/event/${encodeURIComponent(ev.cal)}/${encodeURIComponent(ev.uid)}/edit`;
    return calendarShell(ctx, w, 'Edit event', eventFormView(ctx.base, w.session.csrf, path, eventFields(ev.text), null));
  }));
  router.on('POST', '/webmail/calendar/event/:calendar/:uid/edit', { auth: 'none' }, page(ctx, async (w) => {
    const ev = await findEvent(ctx, w);
    const text = editEventText(ev.text, parseEventForm(w.form), w.principal.id);
    await ctx.services.calendar.put(w.principal.id, ev.cal, ev.name, text);
    return redirect(eventUrl(ctx, ev.cal, ev.uid));
  }));
  router.on('POST', '/webmail/calendar/event/:calendar/:uid/delete', { auth: 'none' }, page(ctx, async (w) => {
    const ev = await findEvent(ctx, w);
    await ctx.services.calendar.remove(w.principal.id, ev.cal, ev.name);
    return redirect(`${ctx.base}/webmail/calendar/month`);
  }));
  router.on('POST', '/webmail/calendar/event/:calendar/:uid/respond', { auth: 'none' }, page(ctx, async (w) => {
    const response = w.form.get('response') ?? '';
    if (!['ACCEPTED', 'DECLINED', 'TENTATIVE'].includes(response)) throw new HttpError(400, 'response must be ACCEPTED, DECLINED or TENTATIVE');
    const ev = await findEvent(ctx, w);
    await ctx.services.calendar.put(w.principal.id, ev.cal, ev.name, respondText(ev.text, w.principal.id, response));
    return redirect(eventUrl(ctx, ev.cal, ev.uid));
  }));
  router.on(get, '/webmail/calendar/import', { auth: 'none' }, page(ctx, async (w) => {
    const names = (await calendarRows(ctx.services, w.principal.id)).map((r) => r.name);
    return calendarShell(ctx, w, 'Import', importView(ctx.base, w.session.csrf, names));
  }));
  // A raw text/calendar body cannot be sent cross-site without a CORS preflight (not a form
  // content type) and the Lax cookie is not sent on cross-site POSTs: no token needed for it.
  router.on('POST', '/webmail/calendar/import', { auth: 'none' }, page(ctx, (w) => importEvents(ctx, w), {
    rawBody: true, csrfExempt: (req) => (req.headers['content-type'] ?? '').toLowerCase().startsWith('text/calendar'),
  }));
  router.on('POST', '/webmail/calendar/visibility', { auth: 'none' }, page(ctx, async (w) => {
    const cal = w.form.get('calendar') ?? '';
    const rows = await calendarRows(ctx.services, w.principal.id);
    const row = rows.find((r) => r.name === cal);
    if (!row) throw new HttpError(400, 'No such calendar');
    const visible = w.form.has('visible') ? w.form.get('visible') === 'true' : !row.visible;
    await ctx.services.preferences.set(w.principal.id, { [`calendar_visible.${cal}`]: visible });
    return redirect(backUrl(ctx, w.form.get('back'), `${ctx.base}/webmail/calendar/month`));
  }));
  router.on(get, '/webmail/calendar/:view', { auth: 'none' }, page(ctx, async (w) => {
    const view = w.req.params.view as CalView;
    if (!VIEWS.includes(view)) throw new HttpError(404, 'Views are month, week, day and agenda');
    return viewPage(ctx, w, view);
  }));
}
