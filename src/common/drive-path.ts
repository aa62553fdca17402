/**
 * DrivePath: the one validator for drive paths and share names (reference.md "Path validation",
 * "Path-traversal safety in shares"). Pure: components in, components out, or a ValidationError.
 */
import { ValidationError } from './errors.js';

/** Maximum number of components in a drive path. */
export const MAX_DEPTH = 64;
/** Maximum bytes of one component (file system limit). */
export const MAX_COMPONENT_BYTES = 255;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const SHARE_NAME = /^[A-Za-z0-9 ._\-()[\]]{1,128}$/;
const SHARE_UID = /^[A-Za-z0-9_-]{32}$/;

/** Reject one path component that is empty, `.`/`..`, has `/`, `\`, NUL/control chars, is reserved or too long. */
export function checkComponent(name: string): string {
  if (name === '' || name === '.' || name === '..') throw new ValidationError(`Invalid path component "${name}"`);
  if (name.includes('..')) throw new ValidationError('Path component may not contain ".."');
  if (name.includes('/') || name.includes('\\')) throw new ValidationError('Path component may not contain "/" or "\\"');
  if (CONTROL.test(name)) throw new ValidationError('Path component may not contain control characters');
  if (name.startsWith('_')) throw new ValidationError(`Reserved name "${name}" (names starting with "_" are reserved)`);
  if (name.toLowerCase().endsWith('.tmp')) throw new ValidationError(`Reserved name "${name}" (*.tmp is reserved)`);
  if (Buffer.byteLength(name, 'utf8') > MAX_COMPONENT_BYTES) throw new ValidationError('Path component longer than 255 bytes');
  return name;
}

/** Validate a list of decoded components (the empty list is the drive root). */
export function checkDrivePath(parts: readonly string[]): string[] {
  if (parts.length > MAX_DEPTH) throw new ValidationError(`Path deeper than ${MAX_DEPTH} components`);
  return parts.map(checkComponent);
}

/**
 * Parse a relative path string (`docs/a.txt`, as in share target_path or a multipart filename):
 * no absolute path, no empty component; each component validated.
 */
export function parseDrivePath(path: unknown): string[] {
  if (typeof path !== 'string') throw new ValidationError('Path must be a string');
  if (path.startsWith('/') || path.startsWith('\\')) throw new ValidationError('Absolute paths are not allowed');
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === '') return [];
  return checkDrivePath(trimmed.split('/'));
}

/** Join components back into the `a/b/c` form used in JSON (`''` for the root). */
export const joinDrivePath = (parts: readonly string[]): string => parts.join('/');

/** Reject a share link name that is not `[A-Za-z0-9 ._\-()\[\]]{1,128}` or contains `..`. */
export function checkShareName(name: unknown): string {
  if (typeof name !== 'string' || !SHARE_NAME.test(name) || name.includes('..') || name === '.') {
    throw new ValidationError('Invalid share name: use A-Z, a-z, 0-9, space, ".", "_", "-", "(", ")", "[", "]" (1-128 characters)');
  }
  return name;
}

/** True for a string shaped like a share UID (32 chars of URL-safe base64). */
export const isShareUid = (s: string): boolean => SHARE_UID.test(s);

/** A set of share permission letters, always including R. */
export function checkPermissions(p: unknown): string {
  if (typeof p !== 'string' || !/^[RCUD]*$/.test(p)) throw new ValidationError('permissions must be letters from "RCUD"');
  return 'RCUD'.split('').filter((l) => l === 'R' || p.includes(l)).join('');
}
