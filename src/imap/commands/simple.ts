/**
 * The small commands of any state: CAPABILITY, NOOP, LOGOUT (RFC 3501 6.1), CHECK (6.4.1),
 * ID (RFC 2971), NAMESPACE (RFC 2342), ENABLE (RFC 5161).
 */
import { ImapError } from '../../common/errors.js';
import { capabilities } from '../capabilities.js';
import { str } from '../encode.js';
import { ANY, AUTHED, SELECTED, type CommandSpec } from './types.js';

/** CAPABILITY */
export const capability: CommandSpec = {
  name: 'CAPABILITY',
  states: ANY,
  async run(s, args) {
    args.end();
    s.out.line(`* CAPABILITY ${capabilities(s)}`);
  },
};

/** NOOP: a poll for updates. */
export const noop: CommandSpec = {
  name: 'NOOP',
  states: ANY,
  async run(_s, args) {
    args.end();
  },
};

/** CHECK: everything is durable already. */
export const check: CommandSpec = {
  name: 'CHECK',
  states: SELECTED,
  async run(_s, args) {
    args.end();
  },
};

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

/** ID (field list or NIL): answer the server's name only. */
export const id: CommandSpec = {
  name: 'ID',
  states: ANY,
  async run(s, args) {
    const t = args.next('ID parameters');
    if (t.t === 'list') {
      if (t.v.length % 2 !== 0 || t.v.length > 60) throw new ImapError('BAD', 'ID takes field/value pairs');
      for (const f of t.v) if (f.t === 'list' || f.t === 'file') throw new ImapError('BAD', 'Bad ID field');
    } else if (!(t.t === 'atom' && t.v.toUpperCase() === 'NIL')) throw new ImapError('BAD', 'ID takes a list or NIL');
    args.end();
    s.out.line(`* ID (${str('name')} ${str('rmail')} ${str('vendor')} ${str('rmail')})`);
  },
};

/** NAMESPACE: one personal namespace, `/` separated. */
export const namespace: CommandSpec = {
  name: 'NAMESPACE',
  states: AUTHED,
  async run(s, args) {
    args.end();
    s.out.line('* NAMESPACE (("" "/")) NIL NIL');
  },
};

const ENABLEABLE = new Set(['CONDSTORE', 'QRESYNC']);

/** ENABLE cap...: CONDSTORE and QRESYNC (QRESYNC implies CONDSTORE). */
export const enable: CommandSpec = {
  name: 'ENABLE',
  states: AUTHED,
  async run(s, args) {
    if (args.done()) throw new ImapError('BAD', 'ENABLE needs a capability');
    const now: string[] = [];
    while (!args.done()) {
      const cap = args.atom('capability').toUpperCase();
      if (!ENABLEABLE.has(cap) || s.enabled.has(cap)) continue;
      s.enabled.add(cap);
      now.push(cap);
      if (cap === 'QRESYNC' && !s.enabled.has('CONDSTORE')) {
        s.enabled.add('CONDSTORE');
        now.push('CONDSTORE');
      }
    }
    s.out.line(`* ENABLED${now.map((c) => ` ${c}`).join('')}`);
  },
};
