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
  let re = '';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * A matcher for one LIST pattern. INBOX is case-insensitive (RFC 3501 5.1): for names at or below
 * INBOX the pattern's leading characters that spell a prefix of "INBOX" in any case match too, so
 * `inbox*` and `Inb%` find INBOX and `inbox/%` its children, while `inb*` still finds `inbound`.
 */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const plain = patternRegex(pattern);
  let k = 0;
  while (k < 5 && k < pattern.length && pattern[k]!.toUpperCase() === 'INBOX'[k]) k++;
  if (k === 0 || (k < 5 && k < pattern.length && pattern[k] !== '*' && pattern[k] !== '%')) return (n) => plain.test(n);
  const inbox = patternRegex(`${'INBOX'.slice(0, k)}${pattern.slice(k)}`);
  return (n) => plain.test(n) || ((n === 'INBOX' || n.startsWith('INBOX/')) && inbox.test(n));
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
  /** RFC 5258 RECURSIVEMATCH: also a name whose descendants (outside the pattern) match the selection. */
  recursive: boolean;
  returnSubscribed: boolean;
  returnSpecialUse: boolean;
  statusItems: string[] | null;
  lsub: boolean;
  /** LSUB only: a pattern ends in `%`, so levels above subscribed folders show (RFC 3501 6.3.9). */
  lsubLevels: boolean;
}

async function list(s: Session, args: Args, lsub: boolean): Promise<void> {
  const opts: ListOptions = {
    subscribedOnly: lsub, specialUseOnly: false, recursive: false, returnSubscribed: false, returnSpecialUse: true, statusItems: null, lsub, lsubLevels: false,
  };
  const sel = lsub ? null : args.optionalList();
  if (sel) {
    for (const w of words(sel, 'selection option')) {
      if (w === 'SUBSCRIBED') opts.subscribedOnly = opts.returnSubscribed = true;
      else if (w === 'SPECIAL-USE') opts.specialUseOnly = true;
      else if (w === 'RECURSIVEMATCH') opts.recursive = true;
      else if (w !== 'REMOTE') throw new ImapError('BAD', `Unknown selection option ${w}`);
    }
    // RFC 5258 3: RECURSIVEMATCH only means something next to an option that selects.
    if (opts.recursive && !opts.subscribedOnly && !opts.specialUseOnly) throw new ImapError('BAD', 'RECURSIVEMATCH needs another selection option');
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
  opts.lsubLevels = lsub && patterns.some((p) => p.endsWith('%'));
  const ref = fromUtf7(refRaw);
  if (ref === null) throw new ImapError('BAD', 'Bad reference');
  if (patterns.length === 1 && patterns[0] === '') {
    // RFC 3501 6.3.8: the root of the reference (its first level, with the separator) and the separator.
    const cut = ref.indexOf('/');
    const root = cut < 0 ? ref : ref.slice(0, cut + 1);
    s.out.line(`* ${lsub ? 'LSUB' : 'LIST'} (\\Noselect) "/" ${root ? encodeMailbox(root) : '""'}`);
    return;
  }
  const folders = await s.ctx.services.mail.listFolders(s.userId);
  const subs = opts.subscribedOnly || opts.returnSubscribed ? new Set(await s.ctx.services.mail.subscriptions(s.userId)) : new Set<string>();
  const matchers = patterns.map((p) => {
    const full = fromUtf7(p);
    if (full === null) throw new ImapError('BAD', 'Bad pattern');
    return patternMatcher(ref && !full.startsWith('/') ? `${ref}${full}` : full);
  });
  await writeList(s, hierarchy(folders, subs), (n) => matchers.some((m) => m(n)), opts);
}

function patternText(t: Tok): string {
  if (t.t === 'atom') return t.v;
  if (t.t === 'str') return t.v.toString('utf8');
  throw new ImapError('BAD', 'Bad pattern');
}

/**
 * One name: a folder, a level that only exists because folders live below it, or a name that is
 * only subscribed (its folder deleted or never made: RFC 3501 6.3.6) and the levels above it.
 */
interface Entry {
  name: string;
  folder: FolderInfo | null;
  hasChildren: boolean;
  subscribed: boolean;
  /** A folder or a level with folders below (what a LIST without selection options shows). */
  inTree: boolean;
}

/**
 * Every folder plus the levels above folders that are not folders themselves (left by a DELETE of a
 * parent, RFC 3501 6.3.4): those are listed `\Noselect` (6.3.8). Subscribed names that are no
 * folder, and the levels above them, are entries outside the tree (LSUB, LIST (SUBSCRIBED)).
 * INBOX first, then by name.
 */
function hierarchy(folders: FolderInfo[], subs: ReadonlySet<string>): Entry[] {
  const byName = new Map<string, Entry>();
  for (const f of folders) byName.set(f.name, { name: f.name, folder: f, hasChildren: false, subscribed: subs.has(f.name), inTree: true });
  for (const f of folders) {
    for (let i = f.name.indexOf('/'); i > 0; i = f.name.indexOf('/', i + 1)) {
      const up = f.name.slice(0, i);
      const e = byName.get(up);
      if (e) e.hasChildren = true;
      else byName.set(up, { name: up, folder: null, hasChildren: true, subscribed: subs.has(up), inTree: true });
    }
  }
  for (const n of subs) {
    if (byName.has(n)) continue;
    byName.set(n, { name: n, folder: null, hasChildren: false, subscribed: true, inTree: false });
    for (let i = n.indexOf('/'); i > 0; i = n.indexOf('/', i + 1)) {
      const up = n.slice(0, i);
      if (!byName.has(up)) byName.set(up, { name: up, folder: null, hasChildren: false, subscribed: subs.has(up), inTree: false });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : 1));
}

async function writeList(s: Session, all: Entry[], matches: (name: string) => boolean, o: ListOptions): Promise<void> {
  const selecting = o.subscribedOnly || o.specialUseOnly;
  const selected = (e: Entry): boolean => (o.subscribedOnly ? e.subscribed : !!e.folder) && (!o.specialUseOnly || !!e.folder?.specialUse);
  const chosen = new Set(selecting ? all.filter(selected).map((e) => e.name) : []);
  // The levels above a selected folder the pattern does not reach (LSUB `%`, RECURSIVEMATCH).
  const cut = new Set<string>();
  for (const n of chosen) {
    if (matches(n)) continue;
    for (let i = n.lastIndexOf('/'); i > 0 && !cut.has(n.slice(0, i)); i = n.lastIndexOf('/', i - 1)) cut.add(n.slice(0, i));
  }
  for (const e of all) {
    if (!matches(e.name) || (!selecting && !e.inTree)) continue;
    let childInfo = false;
    if (selecting && !chosen.has(e.name)) {
      if ((o.lsub ? !o.lsubLevels : !o.recursive) || !cut.has(e.name)) continue;
      childInfo = true;
    }
    const f = e.folder;
    const attrs: string[] = [];
    // RFC 5258 3: a name that is no mailbox nor a level of the tree is \NonExistent (LSUB: \Noselect).
    if (!f || (o.lsub && childInfo)) attrs.push(o.lsub || e.inTree ? '\\Noselect' : '\\NonExistent');
    if (e.inTree && (!o.lsub || (f && !childInfo))) attrs.push(e.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (o.returnSubscribed && !o.lsub && e.subscribed) attrs.push('\\Subscribed');
    if (o.returnSpecialUse && f?.specialUse && !(o.lsub && childInfo)) attrs.push(f.specialUse);
    const extra = childInfo && !o.lsub ? ` (CHILDINFO (${childTags(o)}))` : '';
    s.out.line(`* ${o.lsub ? 'LSUB' : 'LIST'} (${attrs.join(' ')}) "/" ${encodeMailbox(e.name)}${extra}`);
    if (o.statusItems && f) s.out.line(statusLine(f, o.statusItems, await recentOf(s, f.name, o.statusItems)));
  }
}

function childTags(o: ListOptions): string {
  return [o.subscribedOnly ? '"SUBSCRIBED"' : '', o.specialUseOnly ? '"SPECIAL-USE"' : ''].filter(Boolean).join(' ');
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
