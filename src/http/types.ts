/** The request and reply shapes every HTTP handler sees (no uWS types leak past uws.ts). */
import type { Readable } from 'node:stream';

import type { Principal } from '../services/auth.js';

export type { Principal };

/** One HTTP request, copied out of uWS before any await. */
export interface HttpRequest {
  /** Upper-case method as sent (PROPFIND, MKCALENDAR, ...). */
  method: string;
  /** The path still percent-encoded, without the query. */
  rawPath: string;
  /** The path split on `/` and decoded segment by segment. */
  segments: string[];
  query: URLSearchParams;
  /** Header names are lower-case. */
  headers: Record<string, string>;
  ip: string;
  /** True when the connection is TLS or comes from a trusted network. */
  secure: boolean;
  /** Named parameters of the matched route (`:name`), decoded. */
  params: Record<string, string>;
  /** Decoded segments matched by a trailing `*` in the route. */
  rest: string[];
  /** True when the path ended with `/`. */
  trailingSlash: boolean;
  /** The authenticated principal, when the route asked for one or one was offered. */
  principal?: Principal;
  /** Read the whole body (up to `limit` bytes, else 413). */
  body(limit?: number): Promise<Buffer>;
  /** The body as a stream with backpressure; errors with 413 past `limit`. */
  stream(limit?: number): Readable;
  /** True once the client has gone away. */
  aborted(): boolean;
  /** Run `fn` when the client goes away (streams use it to clean up). */
  onAbort(fn: () => void): void;
}

/** What a handler returns; uws.ts writes it out. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent whole; a Readable is streamed with backpressure and needs `length`. */
  body?: string | Buffer | Readable;
  /** The byte length of a streamed body (sent as Content-Length). */
  length?: number;
  /**
   * A file to send instead of `body`: `length` bytes of the open `fd` from `start`. uws.ts reads
   * it in step with the socket (no stream in between) and closes `fd` however the reply ends.
   */
  file?: { fd: number; start: number; length: number };
  /** Close the connection after the reply (413 mid-upload). */
  close?: boolean;
}

/** A route handler. */
export type Handler = (req: HttpRequest) => Promise<Reply>;
