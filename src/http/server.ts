/** The HTTP dispatcher: rate limit, CORS, OPTIONS, routing, auth gate, error mapping, request log. */
import { Router } from './router.js';
import { startHttp, type Dispatcher, type HttpServer } from './uws.js';
import { jsonError } from './reply.js';
import { HttpError, isClientError, toHttp, ClientGone } from '../common/errors.js';
import type { Services } from '../services/index.js';
import type { HttpRequest, Reply } from './types.js';
import { registerRoutes } from './routes.js';
import { inTrustedNetworks } from '../common/net.js';

const CORS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods':
    'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, PROPFIND, PROPPATCH, REPORT, MKCALENDAR, MKCOL, MOVE, COPY, LOCK, UNLOCK',
  'access-control-allow-headers':
    'Authorization, Content-Type, Depth, Destination, Overwrite, If, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range, Range, Prefer, Brief, Lock-Token, Timeout, X-CSRF-Token',
  'access-control-expose-headers': 'ETag, DAV, Location, Content-Length, Content-Range, Accept-Ranges, Last-Modified, Lock-Token',
  'access-control-max-age': '86400',
};

const WWW_AUTH = { 'www-authenticate': 'Basic realm="rmail", charset="UTF-8"' };

function withCors(r: Reply): Reply {
  r.headers = { ...CORS, ...(r.headers ?? {}) };
  return r;
}

/** Build the dispatcher for the given router and services. */
export function createDispatcher(router: Router, services: Services): Dispatcher {
  const { auth, log, config } = services;
  return {
    trusted: (ip) => inTrustedNetworks(ip, config.trusted_networks),
    async dispatch(req: HttpRequest): Promise<Reply> {
      if (!auth.allowRequest(req.ip)) return withCors(jsonError(429, 'Rate limit exceeded', { 'retry-after': '60' }));
      const match = router.match(req.method, req.segments);
      if (match === null || match === 'method') {
        if (req.method === 'OPTIONS') {
          const allow = router.allowed(req.segments);
          return withCors({ status: 204, headers: allow.length ? { allow: [...allow, 'OPTIONS'].join(', ') } : {} });
        }
        if (match === 'method') {
          return withCors(jsonError(405, 'Method not allowed', { allow: router.allowed(req.segments).join(', ') }));
        }
        return withCors(jsonError(404, 'Not found'));
      }
      req.params = match.params;
      req.rest = match.rest;
      const level = match.options.auth;
      if (level !== 'none') {
        const header = req.headers['authorization'];
        const principal = await auth.authenticate(header, req.ip);
        if (principal) req.principal = principal;
        else if (level !== 'optional') {
          return withCors(jsonError(401, header ? 'Invalid credentials' : 'Authentication required', WWW_AUTH));
        }
        if (level === 'admin' && !req.principal!.admin) return withCors(jsonError(403, 'Admin privileges required'));
      }
      return withCors(await match.handler(req));
    },
    fallback(req: HttpRequest, err: unknown): Reply {
      const { status, message, headers } = toHttp(err);
      if (err instanceof ClientGone) return { status: 499 };
      if (isClientError(err)) log.debug('client error', { path: req.rawPath, status, error: message });
      else log.error('request failed', { method: req.method, path: req.rawPath, err: err as Error });
      const extra = status === 401 ? { ...WWW_AUTH, ...headers } : headers;
      const r = withCors(jsonError(status, message, extra));
      if (err instanceof HttpError && err.status === 413) r.close = true;
      return r;
    },
    finished(req: HttpRequest, status: number, ms: number): void {
      if (!config.log.requests) return;
      log.info('http', {
        method: req.method, path: req.rawPath, status, ms: Math.round(ms * 10) / 10, ip: req.ip,
        user: req.principal?.id,
      });
    },
  };
}

/** Start the HTTP front end with every route registered. */
export async function startHttpServer(
  services: Services,
  opts: { host: string; port: number; tls?: { key: string; cert: string } },
): Promise<HttpServer> {
  const router = new Router();
  registerRoutes(router, services);
  return startHttp(opts, createDispatcher(router, services));
}
