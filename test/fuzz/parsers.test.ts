/**
 * Property tests for the pure parsers (issue 9 "Fuzzing"): for any input each parser either
 * returns a value that keeps its invariants or throws its typed error (ImapError BAD,
 * ValidationError, HttpError 4xx). No other exception, no hang (each call is timed).
 */
import t from 'tap';
import fc from 'fast-check';
import { join, resolve, sep } from 'node:path';
import { parseCommand, parseSequenceSet, parseDateTime, parseDate, parseFlags, literalAtEnd, Args, type CommandPart, type Tok } from '../../src/imap/parser.js';
import { parseFetchAtts } from '../../src/imap/parse-fetch.js';
import { parseSearchProgram } from '../../src/imap/parse-search.js';
import { parseDrivePath, checkShareName, checkPermissions, MAX_DEPTH } from '../../src/common/drive-path.js';
import { checkFolderName } from '../../src/common/folder-name.js';
import { parseXml as parseCaldavXml } from '../../src/http/caldav/xml.js';
import { parseXml as parseDriveXml } from '../../src/http/drive/xml.js';
import { validateResource } from '../../src/common/icalendar/validate.js';
import { instancesIn } from '../../src/common/icalendar/instances.js';
import { summarize } from '../../src/workers/parse-mime.js';
import { readJsonObject } from '../../src/http/reply.js';
import { HttpError, ImapError, ValidationError } from '../../src/common/errors.js';
import type { HttpRequest } from '../../src/http/types.js';
import type { MimePart } from '../../src/common/mail.js';
import { imapLine, bytes, icsText, xmlBody, mimeMessage, jsonText, drivePathText } from './gen.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SLOW_MS = 1500;

/** Run `fn`; true when it returned, false when it threw an allowed error; rethrow anything else. */
function outcome(what: string, fn: () => unknown, allowed: (e: unknown) => boolean, slowMs = SLOW_MS): boolean {
  const start = performance.now();
  try {
    fn();
    return true;
  } catch (err) {
    if (!allowed(err)) throw new Error(`${what}: unexpected ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
    return false;
  } finally {
    const ms = performance.now() - start;
    if (ms > slowMs) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
  }
}

const isBad = (e: unknown) => e instanceof ImapError && (e.kind === 'BAD' || e.kind === 'NO');
const isValidation = (e: unknown) => e instanceof ValidationError;
const isHttp4xx = (e: unknown) => e instanceof HttpError && e.status >= 400 && e.status < 500;

/** Walk every token of a parsed command through the typed readers a command handler would use. */
function exerciseArgs(toks: Tok[]): void {
  for (const tok of toks) {
    outcome('parseFetchAtts', () => parseFetchAtts(tok), isBad);
    if (tok.t === 'atom') {
      outcome('parseSequenceSet', () => parseSequenceSet(tok.v), isBad);
      outcome('parseDate', () => parseDate(tok.v), isBad);
    }
    if (tok.t === 'str') outcome('parseDateTime', () => parseDateTime(tok.v.toString('latin1')), isBad);
    if (tok.t === 'list') {
      outcome('parseFlags', () => parseFlags(tok.v), isBad);
      exerciseArgs(tok.v);
    }
  }
  for (let i = 0; i < toks.length; i++) {
    outcome('parseSearchProgram', () => parseSearchProgram(new Args(toks.slice(i)), true), isBad);
  }
}

t.test('IMAP command parser: near-valid lines', async (t) => {
  let parsed = 0;
  fc.assert(
    fc.property(imapLine, fc.array(bytes(16), { maxLength: 2 }), (text, lits) => {
      const line = Buffer.from(text, 'utf8');
      const parts: CommandPart[] = [{ kind: 'line', data: line }];
      for (const l of lits) parts.push({ kind: 'literal', data: l }, { kind: 'line', data: Buffer.from('') });
      let cmd: ReturnType<typeof parseCommand> | undefined;
      if (outcome('parseCommand', () => (cmd = parseCommand(parts)), isBad) && cmd) {
        parsed++;
        if (cmd.tag === '' || /[\s*%+]/.test(cmd.tag)) throw new Error(`bad tag accepted: ${JSON.stringify(cmd.tag)}`);
        if (cmd.name !== cmd.name.toUpperCase()) throw new Error('name not upper-cased');
        exerciseArgs(cmd.args);
      }
      literalAtEnd(line);
    }),
    { numRuns: RUNS * 3 },
  );
  t.ok(parsed > 0, `some lines parsed (${parsed})`);
});

t.test('IMAP command parser: random bytes', async (t) => {
  fc.assert(
    fc.property(bytes(300), (b) => {
      outcome('parseCommand', () => parseCommand([{ kind: 'line', data: b }]), isBad);
      const l = literalAtEnd(b);
      if (l && (l.size < 0 || l.at < 0 || l.at >= b.length)) throw new Error('literalAtEnd out of range');
    }),
    { numRuns: RUNS },
  );
  t.pass('no unexpected exception');
});

t.test('DrivePath: accepted paths stay inside the drive', async (t) => {
  const root = resolve('/srv/drive/files');
  fc.assert(
    fc.property(drivePathText, (p) => {
      let parts: string[] = [];
      if (!outcome('parseDrivePath', () => (parts = parseDrivePath(p)), isValidation)) return;
      if (parts.length > MAX_DEPTH) throw new Error('too deep');
      for (const c of parts) {
        if (c === '' || c.includes('..') || c.includes('/') || c.includes('\\') || c.startsWith('_') || /\.tmp$/i.test(c)) throw new Error(`bad component accepted: ${JSON.stringify(c)}`);
        if (/[\u0000-\u001f\u007f]/.test(c) || Buffer.byteLength(c) > 255) throw new Error('control char or long component accepted');
      }
      const full = join(root, ...parts);
      if (full !== root && !full.startsWith(root + sep)) throw new Error(`escapes root: ${full}`);
    }),
    { numRuns: RUNS * 2 },
  );
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom('..', '.', 'a/b', 'ok name (1)', '')), (n) => {
      let ok = '';
      if (outcome('checkShareName', () => (ok = checkShareName(n)), isValidation) && (ok.includes('/') || ok.includes('..'))) throw new Error('bad share name');
      outcome('checkPermissions', () => checkPermissions(n), isValidation);
      outcome('checkFolderName', () => checkFolderName(n), (e) => isValidation(e) || isBad(e) || isHttp4xx(e));
    }),
    { numRuns: RUNS },
  );
  t.pass('no path escapes');
});

t.test('DAV XML bodies: parse or 400/413', async (t) => {
  fc.assert(
    fc.property(xmlBody, (x) => {
      outcome('caldav parseXml', () => parseCaldavXml(x), isHttp4xx);
      outcome('drive parseXml', () => parseDriveXml(x), isHttp4xx);
    }),
    { numRuns: RUNS * 2 },
  );
  // Deep nesting and wide documents stay bounded.
  for (const x of ['<a>'.repeat(5000) + '</a>'.repeat(5000), '<a ' + 'x="1" '.repeat(5000) + '/>', '<a>' + '&amp;'.repeat(100_000) + '</a>']) {
    outcome('caldav parseXml big', () => parseCaldavXml(x), isHttp4xx);
    outcome('drive parseXml big', () => parseDriveXml(x), isHttp4xx);
  }
  t.pass('no unexpected exception');
});

t.test('iCalendar (CalDAV PUT validation): valid or ValidationError, expansion bounded', async (t) => {
  let valid = 0;
  fc.assert(
    fc.property(icsText, (text) => {
      let res: ReturnType<typeof validateResource> | undefined;
      // Two RRULEs where one is unbounded SECONDLY cost ~2 s in ical.js (20,000 iterations): allowed, bounded.
      if (!outcome('validateResource', () => (res = validateResource(text)), isValidation, 5000) || !res) return;
      valid++;
      const from = Date.UTC(2023, 0, 1);
      outcome('instancesIn', () => instancesIn(res!.cal, from, from + 366 * 86_400_000), isValidation, 5000);
    }),
    { numRuns: Math.ceil(RUNS / 4) },
  );
  t.ok(valid > 0, `some inputs valid (${valid})`);
});

function checkPart(p: MimePart, size: number): void {
  const offsets = Object.entries(p).filter(([k, v]) => typeof v === 'number' && /start|end|offset/i.test(k));
  for (const [k, v] of offsets) if ((v as number) < 0 || (v as number) > size) throw new Error(`part ${k}=${v} outside 0..${size}`);
  for (const c of p.children ?? []) checkPart(c, size);
}

t.test('MIME (mime worker task): never throws, offsets inside the message', async (t) => {
  fc.assert(
    fc.property(fc.oneof(mimeMessage, bytes(400)), (buf) => {
      const s = summarize(buf);
      checkPart(s.body, buf.length);
      if (typeof s.preview !== 'string' || s.preview.length > 200) throw new Error('bad preview');
    }),
    { numRuns: RUNS },
  );
  t.pass('summaries are well-formed');
});

function fakeRequest(body: Buffer): HttpRequest {
  return { body: async (limit: number) => {
    if (body.length > limit) throw new HttpError(413, 'Payload too large');
    return body;
  } } as unknown as HttpRequest;
}

t.test('JSON bodies (readJsonObject): an object or a 400/413', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(jsonText.map((s) => Buffer.from(s)), bytes(100)), async (body) => {
      try {
        const v = await readJsonObject(fakeRequest(body), 4096);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      } catch (err) {
        if (!isHttp4xx(err)) throw err;
      }
    }),
    { numRuns: RUNS },
  );
  const status = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof HttpError ? e.status : `threw ${String(e)}`));
  for (const deep of ['['.repeat(200_000), '{"a":'.repeat(100_000), '[' .repeat(50_000) + ']'.repeat(50_000)]) {
    t.equal(await status(readJsonObject(fakeRequest(Buffer.from(deep)), 1 << 20)), 400, `deep nesting (${deep.length} bytes) is a 400`);
  }
  t.equal(await status(readJsonObject(fakeRequest(Buffer.alloc(5000, 0x20)), 4096)), 413, 'a body over the limit is a 413');
});
