/**
 * Bounded file reading shared by the evidence parsers. Report files come from tools we do not
 * control and can be huge, binary, cut short or not there at all, so every read here is bounded
 * (a head of N bytes, a stream of chunks, lines with a length cap, or a whole file under a size
 * limit) and every failure becomes an `EvidenceError` with a stable code naming the file.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { EvidenceError } from '../errors.js';
import { findDuplicateKey } from './json-keys.js';

/** How much of a file sniffing looks at. */
export const HEAD_BYTES = 64 * 1024;
/** Default ceiling for formats that must be read whole (JSON documents). */
export const DEFAULT_MAX_TEXT_BYTES = 256 * 1024 * 1024;
/** Default ceiling for one line of a line-oriented format. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Chunk size for streaming reads: large enough that per-chunk overhead is negligible. */
export const CHUNK_BYTES = 256 * 1024;

export interface ReadOpts {
  /** Path as shown to the user (relative to the gate's cwd). */
  displayPath: string;
}

/** One line of a streamed text file, without its line terminator. `lineNo` is 1-based. */
export interface Line {
  text: string;
  lineNo: number;
}

const BOM = '\uFEFF';

/** Turn a filesystem error into the evidence error a user can act on. */
export function ioError(err: unknown, displayPath: string): EvidenceError {
  if (err instanceof EvidenceError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return new EvidenceError('EVIDENCE_MISSING', displayPath, `report ${displayPath} does not exist`, {
      hint: "the gate's command did not write it; check the tool's output option",
      cause: err,
    });
  }
  if (code === 'EISDIR') {
    return new EvidenceError('EVIDENCE_UNREADABLE', displayPath, `report ${displayPath} is a directory, not a file`, {
      hint: 'point the report path (or glob) at the file the tool writes',
      cause: err,
    });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new EvidenceError('EVIDENCE_UNREADABLE', displayPath, `cannot read report ${displayPath}: ${detail}`, {
    hint: 'check the file permissions',
    cause: err,
  });
}

/** Size of a report file in bytes; fails when it is missing or not a regular file. */
export async function fileSize(path: string, displayPath: string): Promise<number> {
  return (await fileStat(path, displayPath)).size;
}

/** Size and modification time of a regular file; EvidenceError otherwise. */
export async function fileStat(path: string, displayPath: string): Promise<{ size: number; mtimeMs: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw ioError(err, displayPath);
  }
  if (!st.isFile()) {
    throw new EvidenceError('EVIDENCE_UNREADABLE', displayPath, `report ${displayPath} is not a regular file`, {
      hint: 'point the report path (or glob) at the file the tool writes',
    });
  }
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** The first `bytes` bytes of a file (fewer when the file is shorter). */
export async function readHead(path: string, bytes: number = HEAD_BYTES): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    let filled = 0;
    while (filled < bytes) {
      const { bytesRead } = await fh.read(buf, filled, bytes - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buf.subarray(0, filled);
  } finally {
    await fh.close();
  }
}

/**
 * Length of `buf` without a trailing, incomplete UTF-8 sequence — a head cut at an arbitrary
 * byte may split a multi-byte character, which is not a sign of binary content.
 */
function completeUtf8Length(buf: Buffer): number {
  const n = buf.length;
  // A multi-byte sequence is at most 4 bytes: look back at most 3 bytes for its lead byte.
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decode a head as UTF-8 text, or `undefined` when it is binary (a NUL byte, or bytes that are
 * not UTF-8). A leading BOM is dropped. UTF-16 reports are treated as binary: no tool in scope
 * writes them by default, and guessing encodings is how garbage gets parsed as evidence.
 */
export function decodeHead(head: Buffer): string | undefined {
  if (head.includes(0)) return undefined;
  try {
    return strictUtf8.decode(head.subarray(0, completeUtf8Length(head)));
  } catch {
    return undefined;
  }
}

/** True when a head is not UTF-8 text (see `decodeHead`). */
export function looksBinary(head: Buffer): boolean {
  return decodeHead(head) === undefined;
}

/** True when a decoded text holds nothing but whitespace (and perhaps a BOM). */
export function isBlank(text: string): boolean {
  return text.replace(BOM, '').trim().length === 0;
}

/**
 * Stream a file as raw chunks. I/O failures (missing file, permissions) surface as
 * `EvidenceError`s from the iteration.
 */
export async function* readChunks(
  path: string,
  opts: ReadOpts & { chunkBytes?: number },
): AsyncGenerator<Buffer, void, undefined> {
  const stream = createReadStream(path, { highWaterMark: opts.chunkBytes ?? CHUNK_BYTES });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw ioError(err, opts.displayPath);
  } finally {
    stream.destroy();
  }
}

function notUtf8(displayPath: string, where: string, cause: unknown): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} is not UTF-8 text (${where})`, {
    hint: 'the file looks binary or uses another encoding; point the gate at the report the tool writes',
    cause,
  });
}

/**
 * Stream a UTF-8 file line by line (LF or CRLF). Memory is bounded by the longest line, which is
 * capped: a longer line fails with EVIDENCE_TOO_LARGE instead of growing without limit. A leading
 * BOM is dropped; a final line without terminator is still yielded.
 */
export async function* readLines(
  path: string,
  opts: ReadOpts & { maxLineBytes?: number },
): AsyncGenerator<Line, void, undefined> {
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let rest = '';
  let lineNo = 0;
  const tooLong = (): EvidenceError =>
    new EvidenceError(
      'EVIDENCE_TOO_LARGE',
      opts.displayPath,
      `report ${opts.displayPath} has a line longer than ${maxLine} bytes after line ${lineNo}`,
      { line: lineNo + 1, hint: 'this is not a line-oriented report, or the tool wrote one unbounded line' },
    );
  const cut = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);

  for await (const chunk of readChunks(path, opts)) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (err) {
      throw notUtf8(opts.displayPath, `after line ${lineNo}`, err);
    }
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl === -1) {
      rest += text;
      if (rest.length > maxLine) throw tooLong();
      continue;
    }
    while (nl !== -1) {
      const piece = start === 0 ? rest + text.slice(0, nl) : text.slice(start, nl);
      if (piece.length > maxLine) throw tooLong();
      lineNo++;
      yield { text: cut(piece), lineNo };
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
    if (rest.length > maxLine) throw tooLong();
  }
  try {
    rest += decoder.decode();
  } catch (err) {
    throw notUtf8(opts.displayPath, 'at end of file', err);
  }
  if (rest.length > 0) {
    lineNo++;
    yield { text: cut(rest), lineNo };
  }
}

/**
 * Read a whole UTF-8 text file, refusing files over `maxBytes` (EVIDENCE_TOO_LARGE), empty or
 * whitespace-only files (EVIDENCE_EMPTY) and non-UTF-8 content (EVIDENCE_MALFORMED). The BOM is
 * dropped. For formats that cannot be streamed (JSON documents).
 */
export async function readText(path: string, opts: ReadOpts & { maxBytes?: number }): Promise<string> {
  const max = opts.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const size = await fileSize(path, opts.displayPath);
  if (size > max) {
    throw new EvidenceError(
      'EVIDENCE_TOO_LARGE',
      opts.displayPath,
      `report ${opts.displayPath} is ${size} bytes, over the ${max}-byte limit for this format`,
      { hint: 'split the report or raise the limit' },
    );
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of readChunks(path, opts)) {
    total += chunk.length;
    // The file may grow between stat and read (a tool still writing): keep the bound.
    if (total > max) {
      throw new EvidenceError('EVIDENCE_TOO_LARGE', opts.displayPath, `report ${opts.displayPath} grew past ${max} bytes while being read`);
    }
    parts.push(chunk);
  }
  const buf = Buffer.concat(parts, total);
  if (buf.includes(0)) throw notUtf8(opts.displayPath, 'contains NUL bytes', undefined);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch (err) {
    throw notUtf8(opts.displayPath, 'invalid byte sequence', err);
  }
  if (isBlank(text)) {
    throw new EvidenceError('EVIDENCE_EMPTY', opts.displayPath, `report ${opts.displayPath} is empty`, {
      hint: 'the tool ran but wrote nothing; check that it finished and that its output option points here',
    });
  }
  return text;
}

/** 1-based line and column of a character offset in `text`. */
export function lineColAt(text: string, offset: number, firstLine = 1): { line: number; col: number } {
  let line = firstLine;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * 1-based line and column of the character at `offset` in a UTF-8 file, found by streaming it
 * again: streaming parsers skip line counting on the hot path and ask here when they report an
 * error. Undefined when the file cannot be read again.
 */
export async function lineColAtCharOffset(path: string, offset: number): Promise<{ line: number; col: number } | undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  let seen = 0;
  let line = 1;
  let lineStart = 0;
  try {
    for await (const chunk of readChunks(path, { displayPath: path })) {
      const text = decoder.decode(chunk, { stream: true });
      const upto = Math.min(text.length, offset - seen);
      for (let i = text.indexOf('\n'); i !== -1 && i < upto; i = text.indexOf('\n', i + 1)) {
        line++;
        lineStart = seen + i + 1;
      }
      seen += text.length;
      if (seen >= offset) break;
    }
  } catch {
    return undefined;
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * Parse JSON text, mapping syntax errors to evidence errors: input that ends early is
 * EVIDENCE_TRUNCATED (a tool killed mid-write), anything else EVIDENCE_MALFORMED with line:col
 * when the engine reports a position. An object with a key twice is EVIDENCE_MALFORMED too (see
 * `refuseDuplicateKeys`). `opts.line`: the line `text` starts on, when it is one line of a file.
 */
export function parseJsonText(text: string, displayPath: string, opts: { line?: number } = {}): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    // An error at (or past) the last non-blank character means the document simply stopped.
    const atEnd = pos !== null && Number(pos[1]) >= text.trimEnd().length;
    if (atEnd || /end of (JSON|data)|Unterminated string/i.test(msg)) {
      return throwTruncated(displayPath, msg, err);
    }
    const at = pos ? lineColAt(text, Number(pos[1]), opts.line) : undefined;
    throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} is not valid JSON: ${msg}`, {
      line: at?.line,
      col: at?.col,
      hint: 'check that the gate points at the JSON report and that the tool wrote it completely',
      cause: err,
    });
  }
  refuseDuplicateKeys(text, displayPath, opts.line);
  return doc;
}

/**
 * Throw EVIDENCE_MALFORMED when an object of `text` (valid JSON) has a key twice: JSON.parse keeps
 * only the last one, so a second `"runs"` would hide the first. Every JSON format goes through
 * here (and the go test -json line reader), so no parser has to think about it. `firstLine`: the
 * line `text` starts on in its file, for reports read line by line.
 */
export function refuseDuplicateKeys(text: string, displayPath: string, firstLine = 1): void {
  const dup = findDuplicateKey(text);
  if (dup === undefined) return;
  const at = lineColAt(text, dup.offset, firstLine);
  throw new EvidenceError(
    'EVIDENCE_MALFORMED',
    displayPath,
    `report ${displayPath}:${at.line}:${at.col}: key ${JSON.stringify(dup.key)} appears a second time in the same object; a JSON reader keeps only one of them, so the report says two things at once`,
    {
      line: at.line,
      col: at.col,
      hint: 'tools do not write duplicate keys: the file was edited, concatenated or damaged; regenerate it',
    },
  );
}

function throwTruncated(displayPath: string, msg: string, cause: unknown): never {
  throw new EvidenceError('EVIDENCE_TRUNCATED', displayPath, `report ${displayPath} ends early (${msg})`, {
    hint: 'the tool was probably killed while writing it; rerun the gate',
    cause,
  });
}

/** `readText` + `parseJsonText`. */
export async function readJson(path: string, opts: ReadOpts & { maxBytes?: number }): Promise<unknown> {
  return parseJsonText(await readText(path, opts), opts.displayPath);
}
