// Jazzer.js target: DrivePath (the one drive path validator). Accepted paths must stay inside the
// drive; anything but ValidationError is a finding.
import { join, sep } from 'node:path';
import { parseDrivePath, checkShareName, checkPermissions, MAX_DEPTH } from '../dist/common/drive-path.js';
import { checkFolderName } from '../dist/common/folder-name.js';
import { ValidationError, ImapError, HttpError } from '../dist/common/errors.js';

const ROOT = '/srv/drive/files';

export function fuzz(data) {
  const text = data.toString('utf8');
  let parts = null;
  try {
    parts = parseDrivePath(text);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
  }
  if (parts) {
    if (parts.length > MAX_DEPTH) throw new Error('too deep');
    for (const c of parts) {
      if (c === '' || c.includes('..') || c.includes('/') || c.includes('\\') || c.startsWith('_') || /\.tmp$/i.test(c)) throw new Error(`bad component accepted: ${JSON.stringify(c)}`);
      if (/[\u0000-\u001f\u007f]/.test(c)) throw new Error('control character accepted');
    }
    const full = join(ROOT, ...parts);
    if (full !== ROOT && !full.startsWith(ROOT + sep)) throw new Error(`escapes root: ${full}`);
  }
  for (const fn of [checkShareName, checkPermissions, checkFolderName]) {
    try {
      fn(text);
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ImapError || err instanceof HttpError)) throw err;
    }
  }
}
