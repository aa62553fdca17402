/**
 * SUBSCRIBE / UNSUBSCRIBE mailbox (RFC 3501 6.3.6-7). Subscription is a flag of an existing folder
 * (SUBSCRIBE of a missing name is NO [NONEXISTENT], which 6.3.6 allows). UNSUBSCRIBE of a name
 * that is no folder succeeds: it is not subscribed, and clients such as Thunderbird unsubscribe
 * right after DELETE (Dovecot answers OK too).
 */
import { NotFoundError } from '../../common/errors.js';
import { decodeMailbox } from '../mailbox-name.js';
import type { Session } from '../connection.js';
import type { Args } from '../parser.js';
import { AUTHED, type CommandSpec } from './types.js';

async function setSubscribed(s: Session, args: Args, on: boolean): Promise<void> {
  const name = decodeMailbox(args.astring('mailbox'));
  args.end();
  try {
    await s.ctx.services.mail.setSubscribed(s.userId, name, on);
  } catch (err) {
    if (!on && err instanceof NotFoundError) return;
    throw err;
  }
}

/** SUBSCRIBE */
export const subscribe: CommandSpec = { name: 'SUBSCRIBE', states: AUTHED, run: (s, a) => setSubscribed(s, a, true) };

/** UNSUBSCRIBE */
export const unsubscribe: CommandSpec = { name: 'UNSUBSCRIBE', states: AUTHED, run: (s, a) => setSubscribed(s, a, false) };
