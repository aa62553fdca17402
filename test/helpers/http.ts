/** A small fetch wrapper for protocol tests. */

/** A response with the body read as text and parsed JSON when it is JSON. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Send a request; `body` objects are sent as JSON. */
export async function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown; token?: string; basic?: [string, string] } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.basic) headers.authorization = `Basic ${Buffer.from(opts.basic.join(':')).toString('base64')}`;
  let body: string | Buffer | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body as string | Buffer;
    else {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const res = await fetch(url, { method: opts.method ?? 'GET', headers, body: body as BodyInit | undefined, redirect: 'manual' });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Log in through POST /auth/login and return the token. */
export async function login(base: string, username: string, password: string): Promise<string> {
  const r = await request(`${base}/auth/login`, { method: 'POST', body: { username, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return r.json.token as string;
}
