/** ID (field value ...) | NIL (RFC 2971): validated, answered with the server's name only. */
import { ImapError } from '../../common/errors.js';
import { str } from '../encode.js';
import { ANY, type CommandSpec } from './types.js';

/** ID (field list or NIL): answer the server's name only. */
export const id: CommandSpec = {
  name: 'ID',
  states: ANY,
  async run(s, args) {
    const t = args.next('ID parameters');
    if (t.t === 'list') {
      if (t.v.length % 2 !== 0 || t.v.length > 60) throw new ImapError('BAD', 'ID takes field/value pairs');
      for (const f of t.v) if (f.t === 'list' || f.t === 'file') throw new ImapError('BAD', 'Bad ID field');
    } else if (!(t.t === 'atom' && t.v.toUpperCase() === 'NIL')) throw new ImapError('BAD', 'ID takes a list or NIL');
    args.end();
    s.out.line(`* ID (${str('name')} ${str('rmail')} ${str('vendor')} ${str('rmail')})`);
  },
};
