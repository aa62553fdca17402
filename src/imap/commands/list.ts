/**
 * LIST [(selection)] reference pattern(s) [RETURN (options)] (RFC 3501 6.3.8, RFC 5258
 * LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE, RFC 3348 CHILDREN) and LSUB (6.3.9).
 * `LIST "" ""` answers the root and the separator (iOS relies on it).
 */
import { ImapError } from '../../common/errors.js';
import type { FolderInfo } from '../../common/mail.js';
import type { Args, Tok } from '../parser.js';
import type { Session } from '../connection.js';
import { fromUtf7 } from '../encode.js';
import { encodeMailbox } from '../mailbox-name.js';
import { parseStatusItems, recentOf, statusLine } from './status.js';
import { AUTHED, type CommandSpec } from './types.js';

/** A LIST pattern as a regular expression (`*` any, `%` any but the separator). */
export function patternRegex(pattern: string): RegExp {
  const p = /^inbox(?=$|\/)/i.test(pattern) ? `INBOX${pattern.slice(5)}` : pattern;
  let re = '';
  for (const ch of p) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function words(toks: Tok[], what: string): string[] {
  return toks.map((t) => {
    if (t.t !== 'atom') throw new ImapError('BAD', `Bad ${what}`);
    return t.v.toUpperCase();
  });
}

interface ListOptions {
  subscribedOnly: boolean;
  specialUseOnly: boolean;
  returnSubscribed: boolean;
  returnSpecialUse: boolean;
  statusItems: string[] | null;
  lsub: boolean;
}

async function list(s: Session, args: Args, lsub: boolean): Promise<void> {
  const opts: ListOptions = { subscribedOnly: lsub, specialUseOnly: false, returnSubscribed: false, returnSpecialUse: true, statusItems: null, lsub };
  const sel = lsub ? null : args.optionalList();
  if (sel) {
    for (const w of words(sel, 'selection option')) {
      if (w === 'SUBSCRIBED') opts.subscribedOnly = opts.returnSubscribed = true;
      else if (w === 'SPECIAL-USE') opts.specialUseOnly = true;
      else if (w !== 'REMOTE' && w !== 'RECURSIVEMATCH') throw new ImapError('BAD', `Unknown selection option ${w}`);
    }
  }
  const refRaw = args.astring('reference');
  const patTok = args.next('pattern');
  const patterns = patTok.t === 'list' ? patTok.v.map(patternText) : [patternText(patTok)];
  if (!lsub && args.optionalWord('RETURN')) {
    const ret = args.list('return options');
    for (let i = 0; i < ret.length; i++) {
      const t = ret[i]!;
      const w = t.t === 'atom' ? t.v.toUpperCase() : '';
      if (w === 'SUBSCRIBED') opts.returnSubscribed = true;
      else if (w === 'SPECIAL-USE') opts.returnSpecialUse = true;
      else if (w === 'CHILDREN') continue;
      else if (w === 'STATUS') {
        const items = ret[++i];
        if (!items || items.t !== 'list') throw new ImapError('BAD', 'STATUS needs an item list');
        opts.statusItems = parseStatusItems(items.v);
      } else throw new ImapError('BAD', 'Unknown return option');
    }
  }
  args.end();
  const ref = fromUtf7(refRaw);
  if (ref === null) throw new ImapError('BAD', 'Bad reference');
  if (patterns.length === 1 && patterns[0] === '') {
    s.out.line(`* ${lsub ? 'LSUB' : 'LIST'} (\\Noselect) "/" ${encodeMailbox(ref.split('/')[0] ?? '') || '""'}`);
    return;
  }
  const folders = await s.ctx.services.mail.listFolders(s.userId);
  const regexes = patterns.map((p) => {
    const full = fromUtf7(p);
    if (full === null) throw new ImapError('BAD', 'Bad pattern');
    return patternRegex(ref && !full.startsWith('/') ? `${ref}${full}` : full);
  });
  await writeList(s, folders, regexes, opts);
}

function patternText(t: Tok): string {
  if (t.t === 'atom') return t.v;
  if (t.t === 'str') return t.v.toString('utf8');
  throw new ImapError('BAD', 'Bad pattern');
}

async function writeList(s: Session, folders: FolderInfo[], regexes: RegExp[], o: ListOptions): Promise<void> {
  const names = new Set(folders.map((f) => f.name));
  const parents = new Set<string>();
  for (const n of names) {
    const i = n.lastIndexOf('/');
    if (i > 0) parents.add(n.slice(0, i));
  }
  const sorted = [...folders].sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : 1));
  for (const f of sorted) {
    if (!regexes.some((r) => r.test(f.name))) continue;
    if (o.subscribedOnly && !f.subscribed) continue;
    if (o.specialUseOnly && !f.specialUse) continue;
    const attrs: string[] = [parents.has(f.name) ? '\\HasChildren' : '\\HasNoChildren'];
    if ((o.returnSubscribed || o.lsub) && f.subscribed && !o.lsub) attrs.push('\\Subscribed');
    if (o.returnSpecialUse && f.specialUse) attrs.push(f.specialUse);
    s.out.line(`* ${o.lsub ? 'LSUB' : 'LIST'} (${attrs.join(' ')}) "/" ${encodeMailbox(f.name)}`);
    if (o.statusItems) s.out.line(statusLine(f, o.statusItems, await recentOf(s, f.name, o.statusItems)));
  }
}

/** LIST */
export const listCommand: CommandSpec = {
  name: 'LIST',
  states: AUTHED,
  run: (s, args) => list(s, args, false),
};

/** LSUB */
export const lsubCommand: CommandSpec = {
  name: 'LSUB',
  states: AUTHED,
  run: (s, args) => list(s, args, true),
};
