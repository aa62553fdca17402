/** The descriptor every IMAP command file exports (STYLE.md rule 1 and 4). */
import type { Args, Command } from '../parser.js';
import type { Session, State } from '../connection.js';

/**
 * A command: its name, the states it may run in (checked once by the session), whether pending
 * EXPUNGEs must be held back after it (FETCH, STORE, SEARCH: RFC 3501 7.4.1), and `run`, which
 * writes untagged responses and returns the tagged OK text (or null when it wrote the tagged line
 * itself). Errors are thrown (ImapError for NO/BAD).
 */
export interface CommandSpec {
  name: string;
  states: readonly State[];
  noExpunge?: boolean;
  run(s: Session, args: Args, cmd: Command): Promise<string | void | null>;
}

/** States for commands valid in any state. */
export const ANY: readonly State[] = ['notauth', 'auth', 'selected'];
/** States for commands that need a login. */
export const AUTHED: readonly State[] = ['auth', 'selected'];
/** States for commands that need a selected folder. */
export const SELECTED: readonly State[] = ['selected'];
/** The not-authenticated state only. */
export const NOTAUTH: readonly State[] = ['notauth'];
