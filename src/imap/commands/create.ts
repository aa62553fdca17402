/** CREATE mailbox [(USE (\Special))] (RFC 3501 6.3.3, RFC 6154 5.2); a trailing `/` is dropped. */
import { ImapError } from '../../common/errors.js';
import { decodeMailbox } from '../mailbox-name.js';
import { AUTHED, type CommandSpec } from './types.js';

const USES = new Set(['\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive']);

/** CREATE */
export const create: CommandSpec = {
  name: 'CREATE',
  states: AUTHED,
  async run(s, args) {
    const name = decodeMailbox(args.astring('mailbox'));
    let specialUse: string | undefined;
    const params = args.optionalList();
    if (params) {
      const [kw, uses] = params;
      if (!(kw?.t === 'atom' && kw.v.toUpperCase() === 'USE' && uses?.t === 'list' && uses.v.length === 1 && uses.v[0]!.t === 'atom')) {
        throw new ImapError('BAD', 'Bad CREATE parameters');
      }
      const want = uses.v[0]!.v;
      specialUse = [...USES].find((u) => u.toLowerCase() === want.toLowerCase());
      if (!specialUse) throw new ImapError('NO', 'Unsupported special use', 'USEATTR');
    }
    args.end();
    if (name === 'INBOX') throw new ImapError('NO', 'INBOX exists', 'ALREADYEXISTS');
    await s.ctx.services.mail.createFolder(s.userId, name, specialUse ? { specialUse } : {});
  },
};
