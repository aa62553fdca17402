// Jazzer.js target: the IMAP command parser and its typed argument readers (compiled dist/).
// Anything but ImapError is a finding.
import { parseCommand, parseSequenceSet, parseDateTime, parseDate, parseFlags, literalAtEnd, Args } from '../dist/imap/parser.js';
import { parseFetchAtts } from '../dist/imap/parse-fetch.js';
import { parseSearchProgram } from '../dist/imap/parse-search.js';
import { ImapError } from '../dist/common/errors.js';

const ok = (fn) => {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ImapError)) throw err;
    return undefined;
  }
};

function walk(toks) {
  for (const tok of toks) {
    ok(() => parseFetchAtts(tok));
    if (tok.t === 'atom') {
      ok(() => parseSequenceSet(tok.v));
      ok(() => parseDate(tok.v));
    }
    if (tok.t === 'str') ok(() => parseDateTime(tok.v.toString('latin1')));
    if (tok.t === 'list') {
      ok(() => parseFlags(tok.v));
      walk(tok.v);
    }
  }
  for (let i = 0; i < toks.length; i++) ok(() => parseSearchProgram(new Args(toks.slice(i)), true));
}

/** Split the input at the first NUL into a line and one literal (exercises literal framing too). */
export function fuzz(data) {
  const cut = data.indexOf(0);
  const parts = cut < 0
    ? [{ kind: 'line', data }]
    : [{ kind: 'line', data: data.subarray(0, cut) }, { kind: 'literal', data: data.subarray(cut + 1) }, { kind: 'line', data: Buffer.alloc(0) }];
  literalAtEnd(parts[0].data);
  const cmd = ok(() => parseCommand(parts));
  if (cmd) walk(cmd.args);
}
