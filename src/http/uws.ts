/** The only importer of uWebSockets.js: listening, copying requests, writing replies. */
import uWS from 'uWebSockets.js';
import type { HttpResponse, HttpRequest as UwsRequest, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { Readable } from 'node:stream';
import { close as closeFd, readSync } from 'node:fs';
import { ClientGone, HttpError } from '../common/errors.js';
import type { HttpRequest, Reply } from './types.js';
import { normalizeIp } from '../common/net.js';

/** What the front end asks of the rest of the server for every request. */
export interface Dispatcher {
  /** Turn a request into a reply; may throw (the fallback answers). */
  dispatch(req: HttpRequest): Promise<Reply>;
  /** Reply for an error that escaped dispatch (never throws). */
  fallback(req: HttpRequest, err: unknown): Reply;
  /** Called once per finished request (for the request log). */
  finished(req: HttpRequest, status: number, ms: number): void;
  /** True when the connection from `ip` counts as secure even without TLS. */
  trusted(ip: string): boolean;
}

/** A listening HTTP server. */
export interface HttpServer {
  port: number;
  /** Stop accepting, wait for in-flight requests (up to `graceMs`), then close every socket. */
  close(graceMs?: number): Promise<void>;
}

interface Live {
  aborted: boolean;
  done: boolean;
  onAbort: Array<() => void>;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 207: 'Multi-Status',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 423: 'Locked',
  424: 'Failed Dependency', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 507: 'Insufficient Storage',
};

/** `'207 Multi-Status'` for 207: uWS wants the status line as a string. */
export const statusLine = (status: number): string => `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;

/** Split a raw path on `/` and decode each segment; a bad escape is a 400. */
export function decodeSegments(rawPath: string): string[] {
  return rawPath.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new HttpError(400, 'Bad path encoding');
    }
  });
}

/**
 * Request-body chunks of at least SLAB_MIN bytes that go to a body stream are copied into reused
 * slabs of SLAB bytes (uSockets hands over at most 512 KB at a time): a fresh ArrayBuffer per
 * chunk left each large upload's copies for the garbage collector to free, each a fresh mmap to
 * fault in (server RSS during a 1 GB PUT: +35-45 MB with a fresh buffer per chunk, +15 MB with
 * slabs reused). A reader hands a slab back with the body stream's `recycle` once it is done with
 * the chunk; one it keeps, or never hands back, is simply left to the GC. Chunks queued before a
 * reader attaches, and those of `body()`, are copied to their exact size (a whole body, or a
 * small upload held until the drive's checkpoint, must not pin a 512 KB slab); SLAB_MIN is above
 * the drive's 64 KB LOG_MAX for the same reason (a small upload read from a stream is kept as its
 * one chunk).
 */
const SLAB = 512 * 1024;
const SLAB_MIN = 128 * 1024;
/** Spare slabs kept for the next chunks (at most 8 MB). */
const SPARE_SLABS = 16;
const spareSlabs: ArrayBuffer[] = [];
/** Every slab made here (a buffer handed back must be one of them). */
const slabs = new WeakSet<ArrayBuffer>();

/** A private copy of a body chunk (valid only during uWS's callback), in a slab when `slab` and large enough. */
function copyChunk(chunk: ArrayBuffer, slab: boolean): Buffer {
  const n = chunk.byteLength;
  if (!slab || n < SLAB_MIN || n > SLAB) return Buffer.from(chunk.slice(0));
  let ab = spareSlabs.pop();
  if (!ab) {
    ab = new ArrayBuffer(SLAB);
    slabs.add(ab);
  }
  const copy = Buffer.from(ab, 0, n);
  copy.set(new Uint8Array(chunk));
  return copy;
}

/**
 * Hand back a chunk the body stream gave out, once nothing reads it any more (a chunk that is not
 * a whole slab's view from offset 0 — a concatenation by the stream, say — is left to the GC).
 */
function recycleChunk(chunk: Buffer): void {
  const ab = chunk.buffer;
  if (chunk.byteOffset !== 0 || !(ab instanceof ArrayBuffer) || !slabs.has(ab)) return;
  if (spareSlabs.length < SPARE_SLABS && !spareSlabs.includes(ab)) spareSlabs.push(ab);
}

/**
 * The request body, captured from the first moment: uWS drops body chunks that arrive before
 * `onData` is attached, and handlers read the body only after awaiting auth. Chunks are copied
 * and queued until a reader attaches; past 1 MiB queued, the socket is paused, and it stays
 * paused through `attach` until the reader resumes it: a resume followed in the same turn by a
 * pause (the stream reader's, on the first replayed chunk) left uWS delivering regardless (46 MB
 * of a 1 GB PUT arrived while paused; server RSS +150 MB during the PUT, and it stayed); a pause
 * inside onData holds.
 */
class BodySource {
  private queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private paused = false;
  private sink: ((chunk: Buffer, isLast: boolean) => void) | null = null;
  /** The attached reader is a body stream (its chunks may go into slabs). */
  private streaming = false;
  used = false;

  constructor(private readonly res: HttpResponse, expectBody: boolean) {
    if (!expectBody) {
      this.ended = true;
      return;
    }
    res.onData((chunk, isLast) => {
      const copy = copyChunk(chunk, this.streaming);
      if (this.sink) {
        this.sink(copy, isLast);
        return;
      }
      this.queue.push(copy);
      this.queued += copy.byteLength;
      if (isLast) this.ended = true;
      else if (this.queued > 1024 * 1024 && !this.paused) {
        this.paused = true;
        res.pause();
      }
    });
  }

  /** Attach the one reader (`streaming`: a body stream); queued chunks are replayed first. */
  attach(sink: (chunk: Buffer, isLast: boolean) => void, streaming = false): void {
    if (this.used) throw new Error('request body read twice');
    this.used = true;
    this.streaming = streaming;
    const queued = this.queue;
    this.queue = [];
    if (queued.length === 0 && this.ended) {
      sink(Buffer.alloc(0), true);
      return;
    }
    for (let i = 0; i < queued.length; i++) sink(queued[i]!, this.ended && i === queued.length - 1);
    if (!this.ended) this.sink = sink;
  }

  /** Stop the body (no-op when stopped already). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.res.pause();
  }

  /** Let the body flow again (no-op unless paused). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.res.resume();
  }
}

function readBody(live: Live, source: BodySource, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    live.onAbort.push(() => reject(new ClientGone()));
    source.attach((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, 'Payload too large'));
        return;
      }
      if (chunk.byteLength) parts.push(chunk);
      // One chunk is already a private copy (BodySource): no second copy.
      if (isLast) resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    });
    if (!live.aborted && !live.done) source.resume(); // the queue was replayed: let the rest come
  });
}

/** A request body stream whose reader may hand each chunk back (`recycle`) once done with it. */
type BodyStream = Readable & { recycle(chunk: Buffer): void };

function streamBody(live: Live, source: BodySource, limit: number): BodyStream {
  let size = 0;
  let paused = false;
  let ended = false;
  const stream: BodyStream = Object.assign(new Readable({
    read() {
      if (paused && !live.aborted && !ended) {
        paused = false;
        source.resume();
      }
    },
  }), { recycle: recycleChunk });
  live.onAbort.push(() => {
    if (!ended) stream.destroy(new ClientGone());
  });
  source.attach((chunk, isLast) => {
    // A reader that gave up (a 413 from the handler, say) destroyed the stream: the rest of the
    // body is dropped, and the response may be finished already (never pause it then).
    if (ended || stream.destroyed) return;
    size += chunk.byteLength;
    if (size > limit) {
      ended = true;
      stream.destroy(new HttpError(413, 'Payload too large'));
      return;
    }
    const more = chunk.byteLength ? stream.push(chunk) : true;
    if (isLast) {
      ended = true;
      stream.push(null);
      // Chunks already in flight can arrive after pause(); never leave the socket paused, or the
      // next request on this keep-alive connection stalls.
      if (paused) {
        paused = false;
        source.resume();
      }
    } else if (!more && !paused && !live.aborted && !live.done) {
      paused = true;
      source.pause();
    }
  }, true);
  // The queue was replayed: unless the reader is full, let the rest come.
  if (!paused && !live.aborted && !live.done) source.resume();
  return stream;
}

function writeHead(res: HttpResponse, r: Reply): void {
  res.writeStatus(statusLine(r.status));
  for (const [name, value] of Object.entries(r.headers ?? {})) res.writeHeader(name, value);
}

function pipeStream(res: HttpResponse, live: Live, r: Reply, stream: Readable, total: number, done: () => void): void {
  live.onAbort.push(() => {
    stream.destroy();
    done();
  });
  res.cork(() => writeHead(res, r));
  if (total === 0) {
    live.done = true;
    res.cork(() => res.end());
    stream.destroy();
    done();
    return;
  }
  // Pull one chunk at a time and await onWritable before the next: no 'data' can arrive while
  // a chunk's tail is still waiting (which would replace its onWritable and drop that tail),
  // and the stream's end cannot race a pending chunk.
  const finish = () => {
    live.done = true;
    stream.destroy();
    done();
  };
  void (async () => {
    try {
      for await (const data of stream as AsyncIterable<Buffer | string>) {
        if (live.aborted || live.done) return;
        const buf = typeof data === 'string' ? Buffer.from(data) : data;
        const ab = buf; // a view, not a copy: uWS copies only what it cannot send at once
        let start = 0;
        let ok = false;
        let finished = false;
        res.cork(() => {
          start = res.getWriteOffset();
          [ok, finished] = res.tryEnd(ab, total);
        });
        if (finished) return finish();
        if (!ok) {
          const fin = await new Promise<boolean>((resolve) => {
            live.onAbort.push(() => resolve(true));
            res.onWritable((offset) => {
              if (live.aborted || live.done) {
                resolve(true);
                return true;
              }
              const [sent, f] = res.tryEnd(ab.slice(offset - start), total);
              // uWS calls this from native code without a microtask checkpoint afterwards: settle
              // through setImmediate so the awaiting loop actually runs.
              if (f) setImmediate(() => resolve(true));
              else if (sent) setImmediate(() => resolve(false));
              return sent;
            });
          });
          if (live.aborted || live.done) return;
          if (fin) return finish();
        }
      }
    } catch {
      /* read error: fall through and cut the link */
    }
    // A stream shorter than its announced length (or a read error): the client would hang; cut the link.
    if (!live.done && !live.aborted) {
      live.done = true;
      res.close();
      done();
    }
  })();
}

/**
 * Bytes of a file reply read per socket write: small enough that the buffer stays in the CPU's
 * L2 cache (2 MB a core here) between the read that fills it and the write that empties it, large
 * enough to keep the syscalls and turns per GB few. 1 MB against 256 KB on the 1 GB GET (median
 * MB/s of 6-8 alternating rounds, load 4-7): +9%, +10%, +22%, and -5% in a fourth run of only 4
 * rounds; 2 MB was no better.
 */
const FILE_CHUNK = 1024 * 1024;
/** What a file reply may write, and for how long, in one event-loop turn before it lets other sockets run. */
const FILE_TURN_BYTES = 8 * 1024 * 1024;
const FILE_TURN_MS = 2;
/**
 * The one buffer every file reply reads into: each read is written out in the same synchronous
 * step, and a tail the socket did not take is read again from the file when it is writable.
 */
let fileBuffer: Buffer | undefined;

/**
 * Send `file` (Reply.file) as the body: read synchronously on the event loop straight into
 * `fileBuffer`, only while the socket takes it (memory stays flat for a slow client), a bounded
 * amount per turn. The descriptor is closed however the reply ends.
 */
function sendFile(res: HttpResponse, live: Live, r: Reply, file: NonNullable<Reply['file']>, done: () => void): void {
  let open = true;
  const release = () => {
    if (!open) return;
    open = false;
    closeFd(file.fd, () => undefined);
  };
  const finish = (cut: boolean) => {
    if (!live.done && !live.aborted) {
      live.done = true;
      if (cut) res.close();
    }
    release();
    done();
  };
  live.onAbort.push(() => {
    release();
    done();
  });
  const total = file.length;
  let scheduled = false;
  /** Write until the socket refuses (true: wait for onWritable), the body ends, or the turn's share is used. */
  const pump = (): boolean => {
    const buf = (fileBuffer ??= Buffer.allocUnsafeSlow(FILE_CHUNK));
    const until = performance.now() + FILE_TURN_MS;
    let budget = FILE_TURN_BYTES;
    for (;;) {
      const sent = res.getWriteOffset();
      let n: number;
      try {
        n = readSync(file.fd, buf, 0, Math.min(FILE_CHUNK, total - sent), file.start + sent);
      } catch {
        n = 0;
      }
      // A read error, or a file shorter than announced: the client would wait forever; cut the link.
      if (n === 0) {
        finish(true);
        return false;
      }
      const [ok, ended] = res.tryEnd(buf.subarray(0, n), total);
      if (ended) {
        finish(false);
        return false;
      }
      if (!ok) return true;
      budget -= n;
      if (budget <= 0 || performance.now() > until) break;
    }
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!live.aborted && !live.done) res.cork(pump);
    });
    return false;
  };
  res.onWritable(() => {
    if (live.aborted || live.done || scheduled) return true;
    return !pump();
  });
  res.cork(() => {
    writeHead(res, r);
    if (total === 0) {
      res.end();
      finish(false);
    } else pump();
  });
}

/** Write a reply through one gate that checks the response is still alive. */
function send(res: HttpResponse, live: Live, method: string, r: Reply, done: () => void): void {
  if (r.file) {
    if (live.aborted || live.done || method === 'HEAD') closeFd(r.file.fd, () => undefined);
    else return sendFile(res, live, r, r.file, done);
  }
  if (live.aborted || live.done) {
    if (r.body instanceof Readable) r.body.destroy();
    done();
    return;
  }
  if (r.body instanceof Readable) {
    if (method === 'HEAD') {
      r.body.destroy();
    } else {
      pipeStream(res, live, r, r.body, r.length ?? 0, done);
      return;
    }
  }
  live.done = true;
  const body = r.body instanceof Readable ? undefined : r.body;
  res.cork(() => {
    writeHead(res, r);
    if (method === 'HEAD' || r.status === 304 || r.status === 204) {
      const len = r.file ? r.file.length : r.body instanceof Readable ? (r.length ?? 0) : body === undefined ? 0 : Buffer.byteLength(body);
      if (method === 'HEAD' && r.status !== 204 && r.status !== 304) res.writeHeader('content-length', String(len));
      res.endWithoutBody(); // no argument: with one, this uWS build writes a bogus Content-Length
    } else {
      res.end(body ?? '', r.close ?? false);
    }
  });
  done();
}

function listen(app: TemplatedApp, host: string, port: number): Promise<{ token: us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (token) => {
      if (!token) {
        reject(new Error(`http: cannot listen on ${host}:${port}`));
        return;
      }
      resolve({ token, port: uWS.us_socket_local_port(token) });
    });
  });
}

/** Start the uWS app on host:port (TLS when `tls` names key and cert files). */
export async function startHttp(
  opts: { host: string; port: number; tls?: { key: string; cert: string } },
  dispatcher: Dispatcher,
): Promise<HttpServer> {
  const app = opts.tls ? uWS.SSLApp({ key_file_name: opts.tls.key, cert_file_name: opts.tls.cert }) : uWS.App();
  const secureTransport = !!opts.tls;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  const finishOne = () => {
    inFlight -= 1;
    if (inFlight === 0 && drained) drained();
  };

  app.any('/*', (res: HttpResponse, uwsReq: UwsRequest) => {
    const live: Live = { aborted: false, done: false, onAbort: [] };
    res.onAborted(() => {
      live.aborted = true;
      for (const fn of live.onAbort.splice(0)) fn();
    });
    inFlight += 1;
    const started = performance.now();
    const headers: Record<string, string> = {};
    uwsReq.forEach((k, v) => {
      headers[k] = v;
    });
    const method = uwsReq.getCaseSensitiveMethod().toUpperCase();
    const rawPath = uwsReq.getUrl();
    const ip = normalizeIp(Buffer.from(res.getRemoteAddressAsText()).toString());
    const contentLength = headers['content-length'];
    const expectBody = (contentLength !== undefined && contentLength !== '0') || headers['transfer-encoding'] !== undefined;
    const source = new BodySource(res, expectBody);
    const request: HttpRequest = {
      method,
      rawPath,
      segments: [],
      query: new URLSearchParams(uwsReq.getQuery() ?? ''),
      headers,
      ip,
      secure: secureTransport || dispatcher.trusted(ip),
      params: {},
      rest: [],
      trailingSlash: rawPath.endsWith('/'),
      body: (limit = DEFAULT_BODY_LIMIT) => readBody(live, source, limit),
      stream: (limit = Number.MAX_SAFE_INTEGER) => streamBody(live, source, limit),
      aborted: () => live.aborted,
      onAbort: (fn) => {
        if (live.aborted) fn();
        else live.onAbort.push(fn);
      },
    };
    let status = 500;
    let finished = false;
    // Once per request, though a reply that cuts its link also hears the abort that follows.
    const done = () => {
      if (finished) return;
      finished = true;
      dispatcher.finished(request, status, performance.now() - started);
      finishOne();
    };
    const reply = (r: Reply) => {
      status = r.status;
      // A body the handler did not read must not be left half-received on a kept-alive link.
      if (!source.used && expectBody && r.status >= 400) r.close = true;
      send(res, live, method, r, done);
    };
    let settled = false;
    Promise.resolve()
      .then(() => {
        request.segments = decodeSegments(rawPath);
        return dispatcher.dispatch(request);
      })
      .then(reply, (err) => reply(dispatcher.fallback(request, err)))
      .catch((err) => {
        if (!settled) {
          settled = true;
          try {
            reply(dispatcher.fallback(request, err));
          } catch {
            /* the response is gone */
          }
        }
      });
  });

  const { token, port } = await listen(app, opts.host, opts.port);
  let closed = false;
  return {
    port,
    close: async (graceMs = 10_000) => {
      if (closed) return;
      closed = true;
      uWS.us_listen_socket_close(token);
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      app.close();
    },
  };
}
