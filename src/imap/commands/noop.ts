/** NOOP (RFC 3501 6.1.2): a poll; pending updates go out at its end. */
import { ANY, type CommandSpec } from './types.js';

/** NOOP: a poll for updates. */
export const noop: CommandSpec = {
  name: 'NOOP',
  states: ANY,
  async run(_s, args) {
    args.end();
  },
};
