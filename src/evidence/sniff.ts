/**
 * Format detection from content, never from the file name: a report's extension is whatever the
 * gate author typed, its first bytes are what the tool wrote. Only a bounded head is read.
 */
import type { EvidenceFormat } from './model.js';
import { PARSERS } from './registry.js';
import { decodeHead, HEAD_BYTES, readHead } from './read.js';

export { readHead } from './read.js';

/** The format of the text `head`, trying parsers in registry order (most specific first). */
export function sniffText(head: string): EvidenceFormat | undefined {
  for (const p of PARSERS) {
    if (p.sniff(head)) return p.format;
  }
  return undefined;
}

/**
 * The format of the file at `path`, or `undefined` when it is binary, empty or not a format we
 * know. The caller tells these apart (and reports EVIDENCE_EMPTY for an empty file).
 */
export async function sniffFormat(path: string): Promise<EvidenceFormat | undefined> {
  const text = decodeHead(await readHead(path, HEAD_BYTES));
  if (text === undefined || text.trim() === '') return undefined;
  return sniffText(text);
}
