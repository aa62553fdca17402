/** NAMESPACE (RFC 2342): one personal namespace, `/` separated. */
import { AUTHED, type CommandSpec } from './types.js';

/** NAMESPACE: one personal namespace, `/` separated. */
export const namespace: CommandSpec = {
  name: 'NAMESPACE',
  states: AUTHED,
  async run(s, args) {
    args.end();
    s.out.line('* NAMESPACE (("" "/")) NIL NIL');
  },
};
