/**
 * In-folder search for the message list: a lower-cased haystack per message (subject, names
 * and addresses, preview), cached per folder (keyed by user, folder and UIDVALIDITY; a few
 * folders, least recently used dropped). The cache is filled in the background when a large
 * folder is first listed (`warm`), in slices of a few milliseconds that yield to the event loop, so the first search
 * does not have to parse every stored summary itself.
 */
import type { FolderView, MessageSummary } from '../../common/mail.js';
import type { MailService } from '../../services/mail.js';

const MAX_FOLDERS = 32;
/** Longest slice of summary parsing before yielding to the event loop (ms). */
const SLICE_MS = 3;
/** Folders smaller than this are searched cold (cheap enough). */
const WARM_FROM = 1000;

/** The searchable text of one message. */
export function haystack(s: MessageSummary): string {
  const e = s.envelope;
  const people = [...e.from, ...e.to, ...e.cc].map((a) => `${a.name ?? ''} ${a.mailbox ?? ''}@${a.host ?? ''}`);
  return [e.subject ?? '', s.preview, ...people].join('\n').toLowerCase();
}

interface Entry {
  uidValidity: number;
  hay: Map<number, string>;
  filling: Promise<void> | null;
}

/** Per-folder haystack caches. */
export class SearchIndex {
  private readonly folders = new Map<string, Entry>();

  private entry(userId: string, view: FolderView): Entry {
    const key = `${userId}\0${view.info.id}`;
    let e = this.folders.get(key);
    if (!e || e.uidValidity !== view.info.uidValidity) e = { uidValidity: view.info.uidValidity, hay: new Map(), filling: null };
    this.folders.delete(key);
    this.folders.set(key, e);
    if (this.folders.size > MAX_FOLDERS) this.folders.delete(this.folders.keys().next().value!);
    return e;
  }

  /** Load the haystacks still missing (one fill at a time per folder). */
  private fill(e: Entry, mail: MailService, userId: string, view: FolderView): Promise<void> {
    e.filling ??= (async () => {
      try {
        let slice = performance.now();
        const msgs = view.messages;
        for (let i = msgs.length - 1; i >= 0; i--) {
          const uid = msgs[i]!.uid;
          if (e.hay.has(uid)) continue;
          const s = await mail.summary(userId, view.info.name, uid).catch(() => null);
          e.hay.set(uid, s ? haystack(s) : '');
          if (performance.now() - slice > SLICE_MS) {
            await new Promise((r) => setImmediate(r));
            slice = performance.now();
          }
        }
        if (e.hay.size > msgs.length * 2) {
          const live = new Set(msgs.map((m) => m.uid));
          for (const uid of e.hay.keys()) if (!live.has(uid)) e.hay.delete(uid);
        }
      } finally {
        e.filling = null;
      }
    })();
    return e.filling;
  }

  /** Start filling a large folder's cache in the background (after a list page). */
  warm(mail: MailService, userId: string, view: FolderView): void {
    if (view.messages.length < WARM_FROM) return;
    const e = this.entry(userId, view);
    if (e.hay.size >= view.messages.length || e.filling) return;
    void this.fill(e, mail, userId, view).catch(() => {});
  }

  /** Uids (newest first) whose text holds every word of `query`. */
  async search(mail: MailService, userId: string, view: FolderView, query: string): Promise<number[]> {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const e = this.entry(userId, view);
    if (e.filling) await e.filling;
    await this.fill(e, mail, userId, view);
    const out: number[] = [];
    const msgs = view.messages;
    for (let i = msgs.length - 1; i >= 0; i--) {
      const hay = e.hay.get(msgs[i]!.uid) ?? '';
      if (words.every((w) => hay.includes(w))) out.push(msgs[i]!.uid);
    }
    return out;
  }
}
