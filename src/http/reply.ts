/** Helpers to build replies and read JSON bodies. */
import { HttpError } from '../common/errors.js';
import type { HttpRequest, Reply } from './types.js';

/** A JSON reply. */
export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(value),
});

/** A JSON error reply `{"error": message}`. */
export const jsonError = (status: number, message: string, headers: Record<string, string> = {}): Reply =>
  json(status, { error: message }, headers);

/** Read the body as a JSON object (400 for anything else). */
export async function readJsonObject(req: HttpRequest, limit = 1024 * 1024): Promise<Record<string, unknown>> {
  const body = await req.body(limit);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Invalid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The principal of a route declared `auth: 'user'` or `'admin'` (the dispatcher set it). */
export function principalOf(req: HttpRequest) {
  if (!req.principal) throw new HttpError(401, 'Authentication required');
  return req.principal;
}
