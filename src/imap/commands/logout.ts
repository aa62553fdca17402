/** LOGOUT (RFC 3501 6.1.3): BYE, then the tagged OK, then the connection closes. */
import { ANY, type CommandSpec } from './types.js';

/** LOGOUT */
export const logout: CommandSpec = {
  name: 'LOGOUT',
  states: ANY,
  async run(s, args) {
    args.end();
    s.out.line('* BYE rmail logging out');
    s.state = 'logout';
  },
};
