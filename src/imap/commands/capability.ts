/** CAPABILITY (RFC 3501 6.1.1). */
import { capabilities } from '../capabilities.js';
import { ANY, type CommandSpec } from './types.js';

/** CAPABILITY */
export const capability: CommandSpec = {
  name: 'CAPABILITY',
  states: ANY,
  async run(s, args) {
    args.end();
    s.out.line(`* CAPABILITY ${capabilities(s)}`);
  },
};
