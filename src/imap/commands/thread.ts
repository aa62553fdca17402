/**
 * THREAD / UID THREAD REFERENCES charset keys (RFC 5256 4, the REFERENCES algorithm in full):
 * (1) parent links from References (In-Reply-To when there is none), a message's own link winning
 * over one guessed from another's References, no loops; (2) roots; (3) dummies pruned (children
 * promoted, except several children of a dummy root, which stay under it); (4) roots ordered by
 * sent date; (5) roots with the same base subject gathered (a reply under its non-reply, else
 * both under a new dummy); (6) every sibling list ordered by sent date, then sequence.
 */
import { ImapError } from '../../common/errors.js';
import type { MessageMeta } from '../../common/mail.js';
import { Args } from '../parser.js';
import type { Session } from '../connection.js';
import { parseSearchProgram } from '../parse-search.js';
import { runSearch } from '../search.js';
import { subjectInfo } from './sort.js';
import { SELECTED, type CommandSpec } from './types.js';

/** What threading needs of one message. */
export interface ThreadMessage {
  /** Number to print (sequence number or uid). */
  n: number;
  /** Sent date in ms (the internal date when the Date header is missing or bad). */
  date: number;
  messageId: string | null;
  /** Message ids from References, oldest first. */
  references: string[];
  inReplyTo: string | null;
  subject: string | null;
}

interface Node {
  msg: (ThreadMessage & { base: string; reply: boolean }) | null;
  parent: Node | null;
  children: Node[];
}

const isAncestor = (a: Node, b: Node): boolean => {
  for (let p: Node | null = b; p; p = p.parent) if (p === a) return true;
  return false;
};

function unlink(n: Node): void {
  if (!n.parent) return;
  const sib = n.parent.children;
  sib.splice(sib.indexOf(n), 1);
  n.parent = null;
}

function attach(parent: Node, child: Node): void {
  child.parent = parent;
  parent.children.push(child);
}

/** (3) Drop childless dummies; promote a dummy's children, unless several sit under a root dummy. */
function prune(list: Node[], root: boolean): Node[] {
  const out: Node[] = [];
  for (const n of list) {
    n.children = prune(n.children, false);
    for (const c of n.children) c.parent = n;
    if (n.msg || (root && n.children.length > 1)) out.push(n);
    else out.push(...n.children);
  }
  for (const n of out) n.parent = null;
  return out;
}

/** The message a node sorts and is named by: itself, or a dummy's first child. */
const lead = (n: Node): Node => (n.msg ? n : lead(n.children[0]!));

function byDate(list: Node[]): void {
  for (const n of list) if (!n.msg) byDate(n.children);
  list.sort((a, b) => lead(a).msg!.date - lead(b).msg!.date || lead(a).msg!.n - lead(b).msg!.n);
}

/** (5) Gather roots with the same base subject. */
function gather(roots: Node[]): Node[] {
  const table = new Map<string, Node>();
  for (const r of roots) {
    const m = lead(r).msg!;
    if (!m.base) continue;
    const had = table.get(m.base);
    if (!had || (!r.msg && had.msg) || (had.msg?.reply && r.msg && !r.msg.reply)) table.set(m.base, r);
  }
  const out: Node[] = [];
  for (const r of roots) {
    const base = lead(r).msg!.base;
    const t = base ? table.get(base)! : r;
    if (t === r) {
      out.push(r);
      continue;
    }
    if (!t.msg && !r.msg) for (const c of r.children) attach(t, c);
    else if (!t.msg || (r.msg?.reply && !t.msg.reply)) attach(t, r);
    else {
      const dummy: Node = { msg: null, parent: null, children: [] };
      const at = out.indexOf(t);
      attach(dummy, t);
      attach(dummy, r);
      table.set(base, dummy);
      if (at >= 0) out[at] = dummy;
    }
  }
  return out;
}

function sortTree(list: Node[]): void {
  for (const n of list) sortTree(n.children);
  byDate(list);
}

function format(n: Node): string {
  if (!n.msg) return n.children.map((c) => `(${format(c)})`).join('');
  let s = String(n.msg.n);
  let cur = n;
  while (cur.children.length === 1) {
    cur = cur.children[0]!;
    s += ` ${cur.msg!.n}`;
  }
  if (cur.children.length > 1) s += ' ' + cur.children.map((c) => `(${format(c)})`).join('');
  return s;
}

/** The first `<id>` of a header value (a bare id without brackets counts as one). */
const firstId = (v: string | null): string | null => /<[^<>]*>/.exec(v ?? '')?.[0] ?? (v?.trim() ? `<${v.trim()}>` : null);

/** The THREAD REFERENCES response body for messages in sequence order: `(1 2)(3 (4)(5))`. */
export function threadReferences(msgs: ThreadMessage[]): string {
  const ids = new Map<string, Node>();
  const get = (id: string): Node => {
    let n = ids.get(id);
    if (!n) ids.set(id, (n = { msg: null, parent: null, children: [] }));
    return n;
  };
  const all: Node[] = [];
  for (const m of msgs) {
    const id = firstId(m.messageId);
    let node = id ? get(id) : null;
    if (!node || node.msg) node = { msg: null, parent: null, children: [] }; // none, or a duplicate id
    node.msg = { ...m, ...subjectInfo(m.subject) };
    all.push(node);
    const refs = m.references.length ? m.references.map(firstId).filter((r): r is string => !!r) : [firstId(m.inReplyTo)].filter((r): r is string => !!r);
    for (let i = 1; i < refs.length; i++) {
      const p = get(refs[i - 1]!);
      const c = get(refs[i]!);
      if (!c.parent && p !== c && !isAncestor(c, p)) attach(p, c);
    }
    unlink(node);
    const last = refs.length ? get(refs[refs.length - 1]!) : null;
    if (last && last !== node && !isAncestor(node, last)) attach(last, node);
  }
  const roots = [...new Set([...ids.values(), ...all])].filter((n) => !n.parent);
  const pruned = prune(roots, true);
  byDate(pruned);
  const merged = gather(pruned);
  sortTree(merged);
  return merged.map((r) => `(${format(r)})`).join('');
}

async function thread(s: Session, args: Args, uidMode: boolean): Promise<void> {
  const algo = args.atom('algorithm').toUpperCase();
  if (algo !== 'REFERENCES') throw new ImapError('NO', 'Only THREAD=REFERENCES is supported', 'CANNOT');
  const charset = args.astring('charset').toUpperCase();
  if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new ImapError('NO', 'Unsupported charset', 'BADCHARSET (US-ASCII UTF-8)');
  const prog = parseSearchProgram(new Args(args.rest()), false);
  const found: MessageMeta[] = await runSearch(s, prog.key);
  const mail = s.ctx.services.mail;
  const msgs: ThreadMessage[] = [];
  for (const m of found) {
    const sum = await mail.summary(s.userId, s.box.name, m.uid).catch(() => null);
    const e = sum?.envelope;
    const d = e?.date ? Date.parse(e.date) : NaN;
    msgs.push({
      n: uidMode ? m.uid : s.box.seqOf(m.uid),
      date: Number.isNaN(d) ? m.internalDate : d,
      messageId: e?.messageId ?? null,
      references: sum?.references ?? [],
      inReplyTo: e?.inReplyTo ?? null,
      subject: e?.subject ?? null,
    });
  }
  const body = threadReferences(msgs);
  s.out.line(`* THREAD${body ? ` ${body}` : ''}`);
}

/** THREAD */
export const threadCommand: CommandSpec = { name: 'THREAD', states: SELECTED, noExpunge: true, run: (s, a) => thread(s, a, false) };
/** UID THREAD */
export const uidThreadCommand: CommandSpec = { name: 'UID THREAD', states: SELECTED, noExpunge: true, run: (s, a) => thread(s, a, true) };
