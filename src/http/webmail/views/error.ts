/** The error page body (pure). */
import { esc, abs } from './html.js';

/** An error message with a way back. */
export function errorView(base: string, status: number, message: string): string {
  return `<section class="error-page" data-status="${status}"><h1>Error ${status}</h1>`
    + `<p class="error-message">${esc(message)}</p>`
    + `<p><a href="${abs(base, '/webmail/')}">Back to the webmail</a></p></section>`;
}
