/** CLOSE (RFC 3501 6.4.2: expunge silently, then deselect) and UNSELECT (RFC 3691: deselect only). */
import { expungeDeleted } from './expunge.js';
import { SELECTED, type CommandSpec } from './types.js';

/** CLOSE */
export const closeCommand: CommandSpec = {
  name: 'CLOSE',
  states: SELECTED,
  async run(s, args) {
    args.end();
    if (!s.box.readOnly) await expungeDeleted(s, null);
    s.selected = null;
    s.state = 'auth';
  },
};

/** UNSELECT */
export const unselectCommand: CommandSpec = {
  name: 'UNSELECT',
  states: SELECTED,
  async run(s, args) {
    args.end();
    s.selected = null;
    s.state = 'auth';
  },
};
