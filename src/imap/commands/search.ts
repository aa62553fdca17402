/**
 * SEARCH / UID SEARCH [RETURN (opts)] [CHARSET x] keys (RFC 3501 6.4.4, RFC 4731 ESEARCH,
 * RFC 7162 3.1.5: with a MODSEQ key the answer ends with `(MODSEQ n)`).
 */
import type { Args, Command } from '../parser.js';
import type { Session } from '../connection.js';
import { parseSearchProgram, type SearchKey } from '../parse-search.js';
import { runSearch } from '../search.js';
import { str } from '../encode.js';
import { uidSetText } from '../uidset.js';
import { SELECTED, type CommandSpec } from './types.js';

function usesModseq(k: SearchKey): boolean {
  if (k.k === 'modseq') return true;
  if (k.k === 'not') return usesModseq(k.key);
  if (k.k === 'or') return usesModseq(k.a) || usesModseq(k.b);
  if (k.k === 'and') return k.keys.some(usesModseq);
  return false;
}

async function search(s: Session, args: Args, cmd: Command, uidMode: boolean): Promise<void> {
  const prog = parseSearchProgram(args, true);
  const found = await runSearch(s, prog.key);
  const ids = found.map((m) => (uidMode ? m.uid : s.box.seqOf(m.uid)));
  const withModseq = usesModseq(prog.key);
  if (withModseq) s.enabled.add('CONDSTORE');
  const maxModseq = found.reduce((a, m) => Math.max(a, m.modseq), 0);
  if (prog.ret === null) {
    s.out.line(`* SEARCH${ids.map((n) => ` ${n}`).join('')}${withModseq && ids.length ? ` (MODSEQ ${maxModseq})` : ''}`);
    return;
  }
  const ret = prog.ret.length ? prog.ret : ['ALL'];
  let line = `* ESEARCH (TAG ${str(cmd.tag)})${uidMode ? ' UID' : ''}`;
  if (ids.length) {
    if (ret.includes('MIN')) line += ` MIN ${Math.min(...ids)}`;
    if (ret.includes('MAX')) line += ` MAX ${Math.max(...ids)}`;
    if (ret.includes('ALL')) line += ` ALL ${uidSetText(ids)}`;
  }
  if (ret.includes('COUNT')) line += ` COUNT ${ids.length}`;
  if (withModseq && ids.length) line += ` MODSEQ ${maxModseq}`;
  s.out.line(line);
}

/** SEARCH */
export const searchCommand: CommandSpec = { name: 'SEARCH', states: SELECTED, noExpunge: true, run: (s, a, c) => search(s, a, c, false) };
/** UID SEARCH */
export const uidSearchCommand: CommandSpec = { name: 'UID SEARCH', states: SELECTED, noExpunge: true, run: (s, a, c) => search(s, a, c, true) };
