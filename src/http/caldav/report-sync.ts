/**
 * REPORT sync-collection (RFC 6578): initial (empty token) and incremental sync, deletions as
 * 404 responses, a new token; an unknown or expired token is 403 DAV:valid-sync-token. Depth 1
 * (as Thunderbird sends it) is accepted like Depth 0.
 */
import { HttpError } from '../../common/errors.js';
import type { Principal } from '../../services/auth.js';
import type { CaldavCtx } from './context.js';
import { NS_DAV, child, esc, response, type XNode } from './xml.js';
import { eventHref, type Target } from './target.js';
import { eventEntries, reportProps, wantsData } from './report-util.js';

/** Answer a sync-collection body with the inner XML of the multistatus. */
export async function syncCollection(ctx: CaldavCtx, root: XNode, target: Target, p: Principal): Promise<string> {
  if (target.kind !== 'calendar') throw new HttpError(403, 'sync-collection runs on a calendar collection');
  const level = child(root, NS_DAV, 'sync-level')?.text.trim() ?? '1';
  if (level !== '1' && level !== 'infinite') throw new HttpError(400, 'Invalid sync-level');
  const token = child(root, NS_DAV, 'sync-token')?.text ?? '';
  const want = reportProps(root);
  const data = wantsData(want);
  const r = await ctx.calendars.changesSince(p.id, target.cal, token);
  const store = await ctx.calendars.require(p.id, target.cal);
  const entry = eventEntries(p, target.cal, want);
  const out: string[] = [];
  for (const [name, meta] of r.changed) {
    const text = data ? await ctx.calendars.text(store, name) : undefined;
    out.push(entry(name, meta, text));
  }
  for (const name of r.deleted) out.push(response(eventHref(p, target.cal, name), [], [], 404));
  out.push(`<D:sync-token>${esc(r.token)}</D:sync-token>`);
  return out.join('');
}
