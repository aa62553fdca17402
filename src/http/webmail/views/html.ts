/** HTML building blocks for the webmail views (pure: data in, escaped HTML out). */

/** Escape text for an HTML text node or a double-quoted attribute value. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A hidden CSRF field for a POST form. */
export const csrfField = (token: string): string => `<input type="hidden" name="csrf" value="${esc(token)}">`;

/** Absolute URL of a webmail path: `base` is config.public_url, `path` starts with `/`. */
export const abs = (base: string, path: string): string => `${base}${path}`;

/** One path segment, percent-encoded (a folder like `Archive/2024` stays one segment). */
export const seg = (s: string | number): string => encodeURIComponent(String(s));

/** Human size: 1.2 MB, 530 KB, 12 B. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** Short list date (UTC): `14:30` today, `Apr 13` this year, `2024-04-13` before. */
export function shortDate(ms: number, now = Date.now()): string {
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms);
  const n = new Date(now);
  if (d.getUTCFullYear() === n.getUTCFullYear() && d.getUTCMonth() === n.getUTCMonth() && d.getUTCDate() === n.getUTCDate()) {
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
  if (d.getUTCFullYear() === n.getUTCFullYear()) return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Long date (UTC): `Sun, 13 Apr 2025 14:30:00`. */
export function longDate(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} `
    + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** ISO string for a `<time datetime>` attribute ('' when invalid). */
export const isoDate = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '');
