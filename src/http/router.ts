/** Route table: method + segment pattern -> handler, with the auth level each route declares. */
import type { Handler } from './types.js';

/** Who may call a route: nobody checked, principal if offered, any user, or an admin. */
export type AuthLevel = 'none' | 'optional' | 'user' | 'admin';

/** A route's declaration. */
export interface RouteOptions {
  auth: AuthLevel;
}

interface Route {
  methods: Set<string> | '*';
  parts: string[];
  wildcard: boolean;
  options: RouteOptions;
  handler: Handler;
}

/** The result of matching a request path. */
export interface Match {
  handler: Handler;
  options: RouteOptions;
  params: Record<string, string>;
  rest: string[];
}

/** A method/path router over decoded path segments. */
export class Router {
  private readonly routes: Route[] = [];

  /**
   * Add a route. `pattern` is like `/folders/:folder/messages/:uid`; a trailing `/*` matches
   * any remaining segments (zero or more). `methods` is one method, a list, or `*`.
   */
  on(methods: string | string[], pattern: string, options: RouteOptions, handler: Handler): this {
    const parts = pattern.split('/').filter((p) => p !== '');
    const wildcard = parts[parts.length - 1] === '*';
    if (wildcard) parts.pop();
    this.routes.push({
      methods: methods === '*' ? '*' : new Set((Array.isArray(methods) ? methods : [methods]).map((m) => m.toUpperCase())),
      parts,
      wildcard,
      options,
      handler,
    });
    return this;
  }

  /** Find the route for method + segments: a Match, `'method'` (path known, method not), or null. */
  match(method: string, segments: string[]): Match | 'method' | null {
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchParts(route, segments);
      if (!params) continue;
      if (route.methods !== '*' && !route.methods.has(method)) {
        pathMatched = true;
        continue;
      }
      return { handler: route.handler, options: route.options, params, rest: segments.slice(route.parts.length) };
    }
    return pathMatched ? 'method' : null;
  }

  /** The methods some route accepts on this path (for OPTIONS and 405's Allow). */
  allowed(segments: string[]): string[] {
    const out = new Set<string>();
    for (const route of this.routes) {
      if (!matchParts(route, segments)) continue;
      if (route.methods === '*') return ['*'];
      for (const m of route.methods) out.add(m);
    }
    return [...out];
  }
}

function matchParts(route: Route, segments: string[]): Record<string, string> | null {
  if (route.wildcard ? segments.length < route.parts.length : segments.length !== route.parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.parts.length; i++) {
    const part = route.parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = seg;
    else if (part !== seg) return null;
  }
  return params;
}
