/**
 * SUBSCRIBE / UNSUBSCRIBE mailbox (RFC 3501 6.3.6-7). The subscriptions are a list of names kept
 * beside the folders: a name that is no folder can be subscribed (6.3.6 allows it; Dovecot does),
 * deleting a folder keeps its subscription (6.3.6: MUST NOT remove it unilaterally), RENAME
 * carries it. UNSUBSCRIBE of a name not subscribed is OK (clients such as Thunderbird unsubscribe
 * right after DELETE; Dovecot answers OK too).
 */
import { decodeMailbox } from '../mailbox-name.js';
import type { Session } from '../connection.js';
import type { Args } from '../parser.js';
import { AUTHED, type CommandSpec } from './types.js';

async function setSubscribed(s: Session, args: Args, on: boolean): Promise<void> {
  const name = decodeMailbox(args.astring('mailbox'));
  args.end();
  await s.ctx.services.mail.setSubscribed(s.userId, name, on);
}

/** SUBSCRIBE */
export const subscribe: CommandSpec = { name: 'SUBSCRIBE', states: AUTHED, run: (s, a) => setSubscribed(s, a, true) };

/** UNSUBSCRIBE */
export const unsubscribe: CommandSpec = { name: 'UNSUBSCRIBE', states: AUTHED, run: (s, a) => setSubscribed(s, a, false) };
