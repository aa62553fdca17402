/**
 * /folders/{folder}/messages (reference.md; CONTRACT.md shapes): list newest first, append raw
 * RFC 822, fetch raw bytes (streamed from the immutable file), delete, replace flags.
 */
import { promises as fsp, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import type { EnvelopeAddress, MessageMeta, MessageSummary } from '../../common/mail.js';
import { json, readJsonObject, principalOf } from '../reply.js';
import { HttpError, NotFoundError, ValidationError } from '../../common/errors.js';
import { tmpDir } from '../../store/layout.js';

const addr = (a: EnvelopeAddress): string => (a.host ? `${a.mailbox ?? ''}@${a.host}` : a.mailbox ?? a.name ?? '');

/** Parse a uid path segment (400 when not a positive integer). */
function uidOf(s: string | undefined): number {
  if (!s || !/^[1-9][0-9]{0,9}$/.test(s) || Number(s) > 0xffffffff) throw new ValidationError('uid must be a positive integer');
  return Number(s);
}

/** Parse `offset` / `limit` (limit 1-1000, default 100; offset >= 0). */
function pageOf(q: URLSearchParams): { offset: number; limit: number } {
  const int = (name: string, dflt: number): number => {
    const v = q.get(name);
    if (v === null || v === '') return dflt;
    if (!/^-?[0-9]{1,10}$/.test(v)) throw new ValidationError(`${name} must be an integer`);
    return Number(v);
  };
  const offset = int('offset', 0);
  const limit = int('limit', 100);
  if (offset < 0) throw new ValidationError('offset must not be negative');
  if (limit < 1 || limit > 1000) throw new ValidationError('limit must be from 1 to 1000');
  return { offset, limit };
}

function dateOf(s: MessageSummary | undefined, m: MessageMeta): string {
  const d = s?.envelope.date ? Date.parse(s.envelope.date) : NaN;
  return new Date(Number.isFinite(d) ? d : m.internalDate).toISOString();
}

/** One message as the list shows it. */
export function messageJson(m: MessageMeta, s: MessageSummary | undefined) {
  return {
    uid: m.uid,
    flags: [...m.flags],
    size: m.size,
    date: dateOf(s, m),
    from: s?.envelope.from[0] ? addr(s.envelope.from[0]) : '',
    to: (s?.envelope.to ?? []).map(addr),
    cc: (s?.envelope.cc ?? []).map(addr),
    subject: s?.envelope.subject ?? '',
    preview: s?.preview ?? '',
    has_attachments: (s?.attachments.length ?? 0) > 0,
  };
}

/** Register /folders/{folder}/messages routes. */
export function registerMessageRoutes(router: Router, { mail, config }: Services): void {
  router.on('GET', '/folders/:folder/messages', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const { offset, limit } = pageOf(req.query);
    const folder = req.params.folder!;
    const view = await mail.folder(id, folder);
    const all = view.messages;
    const page: MessageMeta[] = [];
    for (let i = all.length - 1 - offset; i >= 0 && page.length < limit; i--) page.push(all[i]!);
    const sums = await mail.summaries(id, folder, page.map((m) => m.uid));
    return json(200, {
      folder: view.info.name, total: all.length, offset, limit,
      messages: page.map((m, i) => messageJson(m, sums[i])),
    });
  });

  router.on('POST', '/folders/:folder/messages', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const folder = req.params.folder!;
    await mail.folder(id, folder);
    const tmp = join(tmpDir(config.mail_root), `api-${randomBytes(8).toString('hex')}.tmp`);
    try {
      await pipeline(req.stream(config.smtp.max_message_bytes), createWriteStream(tmp, { mode: 0o600 }));
      const st = await fsp.stat(tmp);
      if (st.size === 0) throw new ValidationError('Message body is empty');
      const r = await mail.append(id, folder, { file: tmp });
      return json(201, { uid: r.uid, folder: (await mail.folder(id, folder)).info.name, size: r.size });
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  });

  router.on('GET', '/folders/:folder/messages/:uid', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const uid = uidOf(req.params.uid);
    const view = await mail.folder(id, req.params.folder!);
    const meta = view.byUid(uid);
    if (!meta) throw new NotFoundError('Message not found');
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(mail.messageFile(id, req.params.folder!, uid), 'r');
    } catch {
      throw new NotFoundError('Message not found');
    }
    const size = (await fh.stat()).size;
    const body = fh.createReadStream();
    req.onAbort(() => body.destroy());
    return { status: 200, headers: { 'content-type': 'message/rfc822' }, body, length: size };
  });

  router.on('DELETE', '/folders/:folder/messages/:uid', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const uid = uidOf(req.params.uid);
    const gone = await mail.expunge(id, req.params.folder!, [uid]);
    if (gone.length === 0) throw new NotFoundError('Message not found');
    return json(200, { deleted: uid, folder: (await mail.folder(id, req.params.folder!)).info.name });
  });

  router.on('PATCH', '/folders/:folder/messages/:uid/flags', { auth: 'user' }, async (req) => {
    const id = principalOf(req).id;
    const uid = uidOf(req.params.uid);
    const body = await readJsonObject(req, 64 * 1024);
    if (!Array.isArray(body.flags)) throw new HttpError(400, 'flags must be an array of strings');
    const view = await mail.folder(id, req.params.folder!);
    if (!view.byUid(uid)) throw new NotFoundError('Message not found');
    await mail.setFlags(id, req.params.folder!, [uid], 'replace', body.flags as string[]);
    const m = view.byUid(uid);
    if (!m) throw new NotFoundError('Message not found');
    return json(200, { uid, folder: view.info.name, flags: [...m.flags] });
  });
}
