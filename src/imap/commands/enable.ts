/** ENABLE cap... (RFC 5161): CONDSTORE and QRESYNC (QRESYNC implies CONDSTORE, RFC 7162 3.2.3). */
import { ImapError } from '../../common/errors.js';
import { AUTHED, type CommandSpec } from './types.js';

const ENABLEABLE = new Set(['CONDSTORE', 'QRESYNC']);

/** ENABLE cap...: CONDSTORE and QRESYNC (QRESYNC implies CONDSTORE). */
export const enable: CommandSpec = {
  name: 'ENABLE',
  states: AUTHED,
  async run(s, args) {
    if (args.done()) throw new ImapError('BAD', 'ENABLE needs a capability');
    const now: string[] = [];
    while (!args.done()) {
      const cap = args.atom('capability').toUpperCase();
      if (!ENABLEABLE.has(cap) || s.enabled.has(cap)) continue;
      s.enabled.add(cap);
      now.push(cap);
      if (cap === 'QRESYNC' && !s.enabled.has('CONDSTORE')) {
        s.enabled.add('CONDSTORE');
        now.push('CONDSTORE');
      }
    }
    s.out.line(`* ENABLED${now.map((c) => ` ${c}`).join('')}`);
  },
};
