/** Typed errors that carry their wire code; each protocol edge maps them once. */

/** An HTTP error with the status of reference.md's error table. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** An IMAP error: answered as a tagged NO or BAD, with an optional response code. */
export class ImapError extends Error {
  constructor(
    readonly kind: 'NO' | 'BAD',
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ImapError';
  }
}

/** An SMTP error: answered with its reply code and enhanced status code. */
export class SmtpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly enhanced?: string,
  ) {
    super(message);
    this.name = 'SmtpError';
  }
}

/** A bad value from a client: a parser's rejection, mapped to 400 / BAD / 501. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** A thing that does not exist (user, folder, message, file). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A write that would exceed the user's quota. */
export class QuotaError extends Error {
  constructor(message = 'Quota exceeded') {
    super(message);
    this.name = 'QuotaError';
  }
}

/** A write that conflicts with existing state (user exists, folder exists). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The client went away mid-request; nothing to answer. */
export class ClientGone extends Error {
  constructor() {
    super('client gone');
    this.name = 'ClientGone';
  }
}

/** Map any thrown value to an HTTP status and public message (500 hides the detail). */
export function toHttp(err: unknown): { status: number; message: string; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
  if (err instanceof ValidationError) return { status: 400, message: err.message, headers: {} };
  if (err instanceof NotFoundError) return { status: 404, message: err.message, headers: {} };
  if (err instanceof QuotaError) return { status: 413, message: err.message, headers: {} };
  if (err instanceof ConflictError) return { status: 409, message: err.message, headers: {} };
  return { status: 500, message: 'Internal server error', headers: {} };
}

/** True for errors caused by the client (logged at info without a stack). */
export function isClientError(err: unknown): boolean {
  return (
    err instanceof HttpError ? err.status < 500
    : err instanceof ValidationError || err instanceof NotFoundError || err instanceof QuotaError
      || err instanceof ConflictError || err instanceof ClientGone
      || (err instanceof ImapError) || (err instanceof SmtpError && err.code < 500)
  );
}
