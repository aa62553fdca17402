/** A tiny browser for webmail protocol tests: a cookie jar, forms, and HTML parsed by linkedom. */
import { parseHTML } from 'linkedom';

/** A parsed page. */
export interface Page {
  status: number;
  headers: Headers;
  text: string;
  doc: Document;
  /** querySelector on the page. */
  $(sel: string): Element | null;
  /** querySelectorAll on the page, as an array. */
  $$(sel: string): Element[];
}

/** Parse an HTML text into a Page. */
export function parsePage(status: number, headers: Headers, text: string): Page {
  const { document } = parseHTML(text);
  return {
    status, headers, text, doc: document as unknown as Document,
    $: (sel) => document.querySelector(sel) as Element | null,
    $$: (sel) => [...document.querySelectorAll(sel)] as Element[],
  };
}

/** A cookie-keeping client for one server. */
export class WebClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private url(path: string): string {
    return path.startsWith('http') ? path.replace(/^https?:\/\/[^/]+/, this.base) : this.base + path;
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  /** GET a path (no redirects followed). */
  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    const res = await fetch(this.url(path), { headers: { ...this.cookieHeader(), ...headers }, redirect: 'manual' });
    this.keep(res);
    return parsePage(res.status, res.headers, await res.text());
  }

  /** POST an url-encoded form (no redirects followed). */
  async post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    const res = await fetch(this.url(path), {
      method: 'POST', body: body.toString(), redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader(), ...headers },
    });
    this.keep(res);
    return parsePage(res.status, res.headers, await res.text());
  }

  /** The CSRF token of the forms on a page. */
  static csrf(page: Page): string {
    return (page.$('input[name=csrf]') as HTMLInputElement | null)?.getAttribute('value') ?? '';
  }

  /** Sign in through the login form; returns the page the redirect points at. */
  async login(user: string, password: string): Promise<Page> {
    const form = await this.get('/webmail/login');
    const r = await this.post('/webmail/login', { username: user, password, csrf: WebClient.csrf(form) });
    if (r.status !== 303) throw new Error(`login failed: ${r.status}`);
    return this.get(r.headers.get('location')!);
  }
}
