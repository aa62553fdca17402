/** CHECK (RFC 3501 6.4.1): every write is durable when acknowledged, so nothing to do. */
import { SELECTED, type CommandSpec } from './types.js';

/** CHECK: everything is durable already. */
export const check: CommandSpec = {
  name: 'CHECK',
  states: SELECTED,
  async run(_s, args) {
    args.end();
  },
};
