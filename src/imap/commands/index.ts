/** Every IMAP command, by name (the session looks commands up here). */
import type { CommandSpec } from './types.js';
import { capability } from './capability.js';
import { noop } from './noop.js';
import { check } from './check.js';
import { logout } from './logout.js';
import { id } from './id.js';
import { namespace } from './namespace.js';
import { enable } from './enable.js';
import { login } from './login.js';
import { authenticate } from './authenticate.js';
import { starttls } from './starttls.js';
import { listCommand, lsubCommand } from './list.js';
import { status } from './status.js';
import { selectCommand, examineCommand } from './select.js';
import { create } from './create.js';
import { deleteCommand } from './delete.js';
import { rename } from './rename.js';
import { subscribe, unsubscribe } from './subscribe.js';
import { append } from './append.js';
import { fetchCommand, uidFetchCommand } from './fetch.js';
import { storeCommand, uidStoreCommand } from './store.js';
import { expungeCommand, uidExpungeCommand } from './expunge.js';
import { closeCommand, unselectCommand } from './close.js';
import { copyCommand, uidCopyCommand, moveCommand, uidMoveCommand } from './copy.js';
import { idle } from './idle.js';
import { searchCommand, uidSearchCommand } from './search.js';
import { sortCommand, uidSortCommand } from './sort.js';
import { threadCommand, uidThreadCommand } from './thread.js';
import { getQuota, getQuotaRoot, setQuota } from './quota.js';

const ALL: CommandSpec[] = [
  capability, noop, check, logout, id, namespace, enable, login, authenticate, starttls,
  listCommand, lsubCommand, status, selectCommand, examineCommand, create, deleteCommand, rename,
  subscribe, unsubscribe, append, fetchCommand, uidFetchCommand, storeCommand, uidStoreCommand,
  expungeCommand, uidExpungeCommand, closeCommand, unselectCommand, copyCommand, uidCopyCommand,
  moveCommand, uidMoveCommand, idle, searchCommand, uidSearchCommand, sortCommand, uidSortCommand,
  threadCommand, uidThreadCommand, getQuota, getQuotaRoot, setQuota,
];

/** Command name (upper-case, `UID FETCH` style) -> descriptor. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(ALL.map((c) => [c.name, c]));
