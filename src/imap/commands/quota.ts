/** GETQUOTA root / GETQUOTAROOT mailbox (RFC 9208; STORAGE in KiB, one root "" per user). */
import { ImapError } from '../../common/errors.js';
import type { Session } from '../connection.js';
import { decodeMailbox, encodeMailbox } from '../mailbox-name.js';
import { AUTHED, type CommandSpec } from './types.js';

async function quotaLine(s: Session): Promise<string> {
  const q = await s.ctx.services.mail.quota(s.userId);
  return `* QUOTA "" (STORAGE ${Math.ceil(q.used / 1024)} ${Math.floor(q.limit / 1024)})`;
}

/** GETQUOTA */
export const getQuota: CommandSpec = {
  name: 'GETQUOTA',
  states: AUTHED,
  async run(s, args) {
    const root = args.astring('quota root');
    args.end();
    if (root !== '') throw new ImapError('NO', 'No such quota root', 'NONEXISTENT');
    s.out.line(await quotaLine(s));
  },
};

/** GETQUOTAROOT */
export const getQuotaRoot: CommandSpec = {
  name: 'GETQUOTAROOT',
  states: AUTHED,
  async run(s, args) {
    const name = decodeMailbox(args.astring('mailbox'));
    args.end();
    await s.ctx.services.mail.folder(s.userId, name);
    s.out.line(`* QUOTAROOT ${encodeMailbox(name)} ""`);
    s.out.line(await quotaLine(s));
  },
};

/** SETQUOTA: quotas are set by the administrator, not over IMAP. */
export const setQuota: CommandSpec = {
  name: 'SETQUOTA',
  states: AUTHED,
  async run() {
    throw new ImapError('NO', 'Quotas are set by the administrator', 'NOPERM');
  },
};
