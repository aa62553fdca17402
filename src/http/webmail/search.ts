/**
 * In-folder search for the message list: a lower-cased haystack per message (subject, names
 * and addresses, preview), cached per folder (keyed by user, folder and UIDVALIDITY; a few
 * folders, least recently used dropped), so that only the first search of a folder parses
 * every stored summary. The scan yields to the event loop every few hundred messages.
 */
import type { FolderView, MessageSummary } from '../../common/mail.js';
import type { MailService } from '../../services/mail.js';

const MAX_FOLDERS = 32;
const YIELD_EVERY = 256;

/** The searchable text of one message. */
export function haystack(s: MessageSummary): string {
  const e = s.envelope;
  const people = [...e.from, ...e.to, ...e.cc].map((a) => `${a.name ?? ''} ${a.mailbox ?? ''}@${a.host ?? ''}`);
  return [e.subject ?? '', s.preview, ...people].join('\n').toLowerCase();
}

/** Per-folder haystack caches. */
export class SearchIndex {
  private readonly folders = new Map<string, { uidValidity: number; hay: Map<number, string> }>();

  /**
   * Uids (newest first) whose text holds every word of `query`.
   * `view` is the folder's live index; summaries missing from the cache are loaded once.
   */
  async search(mail: MailService, userId: string, view: FolderView, query: string): Promise<number[]> {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const key = `${userId}\0${view.info.id}`;
    let entry = this.folders.get(key);
    if (!entry || entry.uidValidity !== view.info.uidValidity) entry = { uidValidity: view.info.uidValidity, hay: new Map() };
    this.folders.delete(key);
    this.folders.set(key, entry);
    if (this.folders.size > MAX_FOLDERS) this.folders.delete(this.folders.keys().next().value!);
    const out: number[] = [];
    const msgs = view.messages;
    let loaded = 0;
    for (let i = msgs.length - 1; i >= 0; i--) {
      const uid = msgs[i]!.uid;
      let hay = entry.hay.get(uid);
      if (hay === undefined) {
        const s = await mail.summary(userId, view.info.name, uid).catch(() => null);
        hay = s ? haystack(s) : '';
        entry.hay.set(uid, hay);
        if (++loaded % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      }
      if (words.every((w) => hay!.includes(w))) out.push(uid);
    }
    if (entry.hay.size > msgs.length * 2) {
      const live = new Set(msgs.map((m) => m.uid));
      for (const uid of entry.hay.keys()) if (!live.has(uid)) entry.hay.delete(uid);
    }
    return out;
  }
}
