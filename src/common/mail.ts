/**
 * The mail store's public types (pure). The store (src/store/mailbox.ts), the user actor's mail
 * methods and the MailService (src/services/mail.ts) implement them; IMAP, SMTP, the API and
 * webmail consume them. Extend freely; do not change the meaning of existing fields.
 */

/** An address as IMAP's ENVELOPE has it: display name, local part, domain. */
export interface EnvelopeAddress {
  name: string | null;
  mailbox: string | null;
  host: string | null;
}

/** RFC 3501 ENVELOPE fields (decoded strings; null when absent). */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
  /**
   * The address fields whose header uses group syntax (`Friends: a@b, c@d;`,
   * `undisclosed-recipients:;`), listed as RFC 3501 7.4.2 sends them: a group starts with
   * `{name: null, mailbox: <group name>, host: null}` and ends with all three null; a member
   * without a domain has host `MISSING_DOMAIN`. The plain lists above hold the members only.
   * Absent when no field uses groups (and in summaries stored before it existed).
   */
  groups?: Partial<Record<AddressField, EnvelopeAddress[]>>;
}

/** The address fields of an envelope. */
export type AddressField = 'from' | 'sender' | 'replyTo' | 'to' | 'cc' | 'bcc';

/**
 * One MIME part, with the byte offsets into the raw message file that IMAP needs to answer
 * BODY[section], BODY[section.HEADER], BODY[section.MIME] and BINARY[section] without
 * re-parsing. Offsets are absolute within the message file.
 */
export interface MimePart {
  /** Lower-case type and subtype, e.g. `text` / `plain`, `multipart` / `mixed`. */
  type: string;
  subtype: string;
  /** Content-Type parameters, names lower-case (charset, boundary, name, ...). */
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding as sent (upper-case), default `7BIT`. */
  encoding: string;
  /** Body size in bytes (encoded, as stored). */
  size: number;
  /** Lines of the body for text/* and message/rfc822. */
  lines: number | null;
  md5: string | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string[] | null;
  location: string | null;
  /** Byte offsets: the part's header starts at headerStart, its body at bodyStart, ends at end. */
  headerStart: number;
  bodyStart: number;
  end: number;
  /** Sub-parts of a multipart. */
  children?: MimePart[];
  /** For message/rfc822: the embedded message's envelope and its top part. */
  message?: { envelope: Envelope; body: MimePart };
}

/** One attachment as the API and webmail list it. */
export interface AttachmentInfo {
  /** IMAP section number, e.g. `2` or `1.2`. */
  section: string;
  filename: string;
  contentType: string;
  size: number;
}

/** What is computed once per message by the `mime` worker at delivery. */
export interface MessageSummary {
  envelope: Envelope;
  body: MimePart;
  /** First ~200 characters of the text, whitespace collapsed. */
  preview: string;
  attachments: AttachmentInfo[];
  /** Sections of text/calendar parts (iMIP). */
  calendarParts: string[];
  /** Header values used by SORT/THREAD/search (decoded). */
  references: string[];
}

/** One message in a folder's index. */
export interface MessageMeta {
  uid: number;
  modseq: number;
  flags: string[];
  /** INTERNALDATE, ms since epoch. */
  internalDate: number;
  /** RFC822.SIZE in bytes. */
  size: number;
}

/** A folder as listings show it. */
export interface FolderInfo {
  /** Stable id: a rename keeps it and rewrites no message. */
  id: string;
  /** Full name with `/` as the hierarchy separator, e.g. `Archive/2024`. */
  name: string;
  /** `\Drafts`, `\Sent`, `\Trash`, `\Junk`, `\Archive` or null. */
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  total: number;
  unread: number;
  subscribed: boolean;
  /** IMAP only: the stored \Recent floor, the first uid no session was told about (src/imap/recent.ts). */
  recent?: number;
}

/** How STORE changes flags. */
export type FlagOp = 'add' | 'remove' | 'replace';

/**
 * A lock-free read view of one folder's in-memory index (the actor's own object, updated in
 * place after every durable write: keep it and read it again, no need to call folder() again
 * unless the folder was renamed or deleted).
 */
export interface FolderView {
  /** Current counters (same object, updated in place). */
  readonly info: FolderInfo;
  /** The messages in ascending uid order (the array is replaced on expunge; read `messages` again). */
  readonly messages: readonly MessageMeta[];
  /** The message with this uid, or undefined. */
  byUid(uid: number): MessageMeta | undefined;
  /** Uids expunged with a modseq above `modseq` (for QRESYNC VANISHED); all known ones when older. */
  expungedSince(modseq: number): number[];
  /** Uid of the first message without \Seen, or undefined (amortized: no scan of the seen prefix). */
  firstUnseenUid(): number | undefined;
}

/** What an append takes: a temp file under tmpDir(mail_root) that the store takes over, or bytes. */
export type AppendSource = { file: string } | { data: Buffer };

/** What an append answers. */
export interface AppendResult {
  uid: number;
  uidValidity: number;
  size: number;
  modseq: number;
}
