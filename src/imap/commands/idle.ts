/**
 * IDLE ... DONE (RFC 2177): updates of the selected folder are written the moment the change
 * event arrives (the store publishes right after its durable write). Reading DONE re-arms the
 * idle timeout, so a client re-issuing IDLE every 29 minutes stays connected.
 */
import { ImapError } from '../../common/errors.js';
import { AUTHED, type CommandSpec } from './types.js';

/** IDLE */
export const idle: CommandSpec = {
  name: 'IDLE',
  states: AUTHED,
  async run(s, args) {
    args.end();
    s.out.line('+ idling');
    s.sendUpdates(true);
    await s.out.flush();
    s.idling = true;
    s.onUpdate = () => {
      s.sendUpdates(true);
      void s.out.flush();
    };
    try {
      const line = await s.readLine();
      if (line === null) {
        s.state = 'logout';
        return null;
      }
      if (line.toString('latin1').toUpperCase() !== 'DONE') throw new ImapError('BAD', 'Expected DONE');
    } finally {
      s.idling = false;
      s.onUpdate = null;
    }
  },
};
