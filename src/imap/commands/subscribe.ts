/** SUBSCRIBE / UNSUBSCRIBE mailbox (RFC 3501 6.3.6-7). */
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
