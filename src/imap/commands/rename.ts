/**
 * RENAME from to (RFC 3501 6.3.5): children move along (no message is rewritten). Renaming INBOX
 * has its special meaning: the new folder is created and INBOX's messages move into it (flags and
 * internal dates kept), leaving INBOX empty; INBOX's children stay where they are.
 */
import { ImapError } from '../../common/errors.js';
import type { Session } from '../connection.js';
import { decodeMailbox } from '../mailbox-name.js';
import { AUTHED, type CommandSpec } from './types.js';

/** RENAME INBOX to: a new folder holding what INBOX held. */
async function renameInbox(s: Session, to: string): Promise<void> {
  const mail = s.ctx.services.mail;
  await mail.createFolder(s.userId, to);
  const uids = (await mail.folder(s.userId, 'INBOX')).messages.map((m) => m.uid);
  if (uids.length) await mail.move(s.userId, 'INBOX', uids, to);
}

/** RENAME */
export const rename: CommandSpec = {
  name: 'RENAME',
  states: AUTHED,
  async run(s, args) {
    const from = decodeMailbox(args.astring('mailbox'));
    const to = decodeMailbox(args.astring('new name'));
    args.end();
    const mail = s.ctx.services.mail;
    if (to === 'INBOX' || (await mail.listFolders(s.userId)).some((f) => f.name === to)) {
      throw new ImapError('NO', `Mailbox ${to === 'INBOX' ? 'INBOX' : 'already'} exists`, 'ALREADYEXISTS');
    }
    if (from === 'INBOX') await renameInbox(s, to);
    else await mail.renameFolder(s.userId, from, to);
  },
};
