/** Reply/forward prefill: recipients, subject prefixes, the quoted text (pure). */
import type { Envelope, EnvelopeAddress } from '../../common/mail.js';

const addr = (a: EnvelopeAddress): string => (a.mailbox && a.host ? `${a.mailbox}@${a.host}` : '');
const named = (a: EnvelopeAddress): string => {
  const x = addr(a);
  if (!x) return '';
  return a.name ? `"${a.name.replace(/["\\]/g, '')}" <${x}>` : x;
};

/** HTML to rough plain text for quoting. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|h[1-6]|li|blockquote)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** `Re: subject` unless it already starts so. */
export const prefixed = (prefix: string, subject: string): string =>
  new RegExp(`^${prefix}:`, 'i').test(subject.trim()) ? subject.trim() : `${prefix}: ${subject.trim()}`;

/** The prefill of a reply, reply-all or forward of a message. */
export function prefill(
  mode: 'reply' | 'reply-all' | 'forward', e: Envelope, references: string[], text: string, self: string, dateText: string,
): { to: string; cc: string; subject: string; body: string; inReplyTo: string; references: string } {
  const me = self.toLowerCase();
  const fromLine = e.from.map(named).join(', ');
  const refs = [...references, ...(e.messageId ? [e.messageId] : [])].filter((r, i, all) => r && all.indexOf(r) === i);
  if (mode === 'forward') {
    const head = `---------- Forwarded message ----------\nFrom: ${fromLine}\nDate: ${dateText}\n`
      + `Subject: ${e.subject ?? ''}\nTo: ${e.to.map(named).join(', ')}\n\n`;
    return { to: '', cc: '', subject: prefixed('Fwd', e.subject ?? ''), body: `\n\n${head}${text}`, inReplyTo: '', references: refs.join(' ') };
  }
  const primary = (e.replyTo.length ? e.replyTo : e.from).map(named).filter(Boolean);
  const seen = new Set(primary.map((p) => p.toLowerCase()));
  const others = (list: EnvelopeAddress[]): string[] =>
    list.filter((a) => addr(a) && addr(a).toLowerCase() !== me && !seen.has(named(a).toLowerCase())).map(named);
  const to = mode === 'reply-all' ? [...primary, ...others(e.to)] : primary;
  const cc = mode === 'reply-all' ? others(e.cc) : [];
  const quoted = text.split(/\r?\n/).map((l) => `> ${l}`).join('\n');
  return {
    to: to.join(', '), cc: cc.join(', '), subject: prefixed('Re', e.subject ?? ''),
    body: `\n\nOn ${dateText}, ${fromLine} wrote:\n${quoted}\n`,
    inReplyTo: e.messageId ?? '', references: refs.join(' '),
  };
}
