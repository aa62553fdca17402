/** The login and registration forms (pure). */
import { esc, abs, csrfField } from './html.js';

/** What the login form shows. */
export interface LoginView {
  base: string;
  csrf: string;
  next: string;
  username?: string;
  error?: string;
  registration: boolean;
}

/** The login form: fields `username` and `password` (CONTRACT.md). */
export function loginView(v: LoginView): string {
  const err = v.error ? `<p class="form-error" role="alert">${esc(v.error)}</p>` : '';
  const reg = v.registration
    ? `<p class="register-link"><a href="${abs(v.base, '/webmail/register')}">Create an account</a></p>` : '';
  return `<section class="login-box"><h1>rmail</h1><h2>Sign in</h2>${err}`
    + `<form class="login-form" method="post" action="${abs(v.base, '/webmail/login')}">${csrfField(v.csrf)}`
    + `<input type="hidden" name="next" value="${esc(v.next)}">`
    + `<label for="username">Email address</label>`
    + `<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${esc(v.username ?? '')}">`
    + `<label for="password">Password</label>`
    + `<input id="password" name="password" type="password" autocomplete="current-password" required>`
    + `<button type="submit" class="button primary">Sign in</button></form>${reg}`
    + `<p class="help-link"><a href="${abs(v.base, '/docs/')}">Documentation</a></p></section>`;
}

/** What the registration form shows. */
export interface RegisterView {
  base: string;
  csrf: string;
  domains: string[];
  username?: string;
  domain?: string;
  error?: string;
}

/** The registration form: `username`, `domain`, `password`, `password2`. */
export function registerView(v: RegisterView): string {
  const err = v.error ? `<p class="form-error" role="alert">${esc(v.error)}</p>` : '';
  const options = v.domains
    .map((d) => `<option value="${esc(d)}"${d === v.domain ? ' selected' : ''}>${esc(d)}</option>`).join('');
  return `<section class="login-box"><h1>rmail</h1><h2>Create an account</h2>${err}`
    + `<form class="register-form" method="post" action="${abs(v.base, '/webmail/register')}">${csrfField(v.csrf)}`
    + `<label for="username">User name</label>`
    + `<input id="username" name="username" type="text" autocomplete="username" required pattern="[a-z0-9._\\-]{1,64}" value="${esc(v.username ?? '')}">`
    + `<label for="domain">Domain</label><select id="domain" name="domain">${options}</select>`
    + `<label for="password">Password</label>`
    + `<input id="password" name="password" type="password" autocomplete="new-password" required>`
    + `<label for="password2">Repeat password</label>`
    + `<input id="password2" name="password2" type="password" autocomplete="new-password" required>`
    + `<button type="submit" class="button primary">Create account</button></form>`
    + `<p class="register-link"><a href="${abs(v.base, '/webmail/login')}">Sign in instead</a></p></section>`;
}
