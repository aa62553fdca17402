/**
 * THREAD / UID THREAD REFERENCES charset keys (RFC 5256 4): parent links from References and
 * In-Reply-To, empty containers pruned (children promoted), siblings and roots ordered by sent
 * date. The subject-merging step of the full algorithm is left out (roots stay separate).
 */
import { ImapError } from '../../common/errors.js';
import type { MessageMeta } from '../../common/mail.js';
import { Args } from '../parser.js';
import type { Session } from '../connection.js';
import { parseSearchProgram } from '../parse-search.js';
import { runSearch } from '../search.js';
import { SELECTED, type CommandSpec } from './types.js';

interface Node {
  id: string;
  msg: { n: number; date: number } | null;
  parent: Node | null;
  children: Node[];
}

function isAncestor(a: Node, b: Node): boolean {
  for (let p: Node | null = b; p; p = p.parent) if (p === a) return true;
  return false;
}

function link(parent: Node, child: Node): void {
  if (child.parent || parent === child || isAncestor(child, parent)) return;
  child.parent = parent;
  parent.children.push(child);
}

/** Expand empty containers into their children. */
function prune(nodes: Node[]): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    n.children = prune(n.children);
    if (n.msg) out.push(n);
    else out.push(...n.children);
  }
  return out;
}

const firstDate = (n: Node): number => n.msg?.date ?? Math.min(...n.children.map(firstDate));

function format(n: Node): string {
  let s = String(n.msg!.n);
  let cur = n;
  while (cur.children.length === 1) {
    cur = cur.children[0]!;
    s += ` ${cur.msg!.n}`;
  }
  if (cur.children.length > 1) s += ' ' + cur.children.map((c) => `(${format(c)})`).join('');
  return s;
}

async function thread(s: Session, args: Args, uidMode: boolean): Promise<void> {
  const algo = args.atom('algorithm').toUpperCase();
  if (algo !== 'REFERENCES') throw new ImapError('NO', 'Only THREAD=REFERENCES is supported', 'CANNOT');
  const charset = args.astring('charset').toUpperCase();
  if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new ImapError('NO', 'Unsupported charset', 'BADCHARSET (US-ASCII UTF-8)');
  const prog = parseSearchProgram(new Args(args.rest()), false);
  const found: MessageMeta[] = await runSearch(s, prog.key);
  const nodes = new Map<string, Node>();
  const get = (id: string): Node => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { id, msg: null, parent: null, children: [] }));
    return n;
  };
  const mail = s.ctx.services.mail;
  for (const m of found) {
    const sum = await mail.summary(s.userId, s.box.name, m.uid).catch(() => null);
    const e = sum?.envelope;
    let id = e?.messageId?.trim() || `<uid-${m.uid}@local>`;
    if (nodes.get(id)?.msg) id = `<dup-${m.uid}@local>`;
    const node = get(id);
    const d = e?.date ? Date.parse(e.date) : NaN;
    node.msg = { n: uidMode ? m.uid : s.box.seqOf(m.uid), date: Number.isNaN(d) ? m.internalDate : d };
    const refs = [...(sum?.references ?? [])];
    if (e?.inReplyTo && !refs.includes(e.inReplyTo.trim())) refs.push(e.inReplyTo.trim());
    for (let i = 1; i < refs.length; i++) link(get(refs[i - 1]!), get(refs[i]!));
    if (refs.length) link(get(refs[refs.length - 1]!), node);
  }
  const roots = prune([...nodes.values()].filter((n) => !n.parent));
  const order = (list: Node[]): void => {
    list.sort((a, b) => firstDate(a) - firstDate(b));
    for (const n of list) order(n.children);
  };
  order(roots);
  s.out.line(`* THREAD ${roots.map((r) => `(${format(r)})`).join('')}`.trimEnd());
}

/** THREAD */
export const threadCommand: CommandSpec = { name: 'THREAD', states: SELECTED, noExpunge: true, run: (s, a) => thread(s, a, false) };
/** UID THREAD */
export const uidThreadCommand: CommandSpec = { name: 'UID THREAD', states: SELECTED, noExpunge: true, run: (s, a) => thread(s, a, true) };
