import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHead, fileSize, parseJsonText, readHead, readJson, readLines, readText } from './read.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-read-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

async function lines(path: string, maxLineBytes?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(path, { displayPath: 'f', maxLineBytes })) out.push(`${l.lineNo}:${l.text}`);
  return out;
}

describe('read helpers', () => {
  it('readHead is bounded; decodeHead refuses NUL/invalid UTF-8 but tolerates a cut multi-byte char', async () => {
    const p = await file('h.txt', 'héllo wörld');
    expect((await readHead(p, 4)).length).toBe(4);
    expect(decodeHead(await readHead(p, 2))).toBe('h'); // 'é' cut in half
    expect(decodeHead(Buffer.from([0x68, 0x00, 0x69]))).toBeUndefined();
    expect(decodeHead(Buffer.from([0xff, 0xfe, 0x41]))).toBeUndefined();
    expect(decodeHead(Buffer.from('\uFEFFabc'))).toBe('abc');
  });

  it('readLines: LF/CRLF, final line without newline, BOM, chunk-spanning lines, line cap', async () => {
    expect(await lines(await file('l.txt', '\uFEFFa\r\nb\n\nc'))).toEqual(['1:a', '2:b', '3:', '4:c']);
    const long = 'x'.repeat(600_000);
    expect(await lines(await file('big.txt', `${long}\nend\n`))).toEqual([`1:${long}`, '2:end']);
    await expect(lines(await file('cap.txt', `${'y'.repeat(100)}\n`), 10)).rejects.toMatchObject({ code: 'EVIDENCE_TOO_LARGE' });
    await expect(lines(await file('bin.txt', Buffer.from([0x61, 0x0a, 0xc3, 0x28, 0x0a])))).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED' });
  });

  it('readText: empty, too large, binary and missing files get their codes', async () => {
    expect(await readText(await file('t.txt', 'ok'), { displayPath: 't' })).toBe('ok');
    await expect(readText(await file('e.txt', ''), { displayPath: 'e' })).rejects.toMatchObject({ code: 'EVIDENCE_EMPTY' });
    await expect(readText(await file('w.txt', ' \n'), { displayPath: 'w' })).rejects.toMatchObject({ code: 'EVIDENCE_EMPTY' });
    await expect(readText(await file('l.txt', 'abcdef'), { displayPath: 'l', maxBytes: 3 })).rejects.toMatchObject({ code: 'EVIDENCE_TOO_LARGE' });
    await expect(readText(await file('n.txt', Buffer.from([0x61, 0])), { displayPath: 'n' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED' });
    await expect(readText(join(dir, 'missing.json'), { displayPath: 'missing.json' })).rejects.toMatchObject({ code: 'EVIDENCE_MISSING' });
    await expect(fileSize(dir, 'd')).rejects.toMatchObject({ code: 'EVIDENCE_UNREADABLE' });
  });

  it('JSON: truncated vs malformed, with line:col', async () => {
    expect(await readJson(await file('j.json', '{"a": [1, 2]}'), { displayPath: 'j' })).toEqual({ a: [1, 2] });
    expect(() => parseJsonText('{"a": [1, 2', 'j')).toThrow(expect.objectContaining({ code: 'EVIDENCE_TRUNCATED' }));
    expect(() => parseJsonText('{"a": "b', 'j')).toThrow(expect.objectContaining({ code: 'EVIDENCE_TRUNCATED' }));
    expect(() => parseJsonText('{\n  "a" 1\n}', 'j')).toThrow(expect.objectContaining({ code: 'EVIDENCE_MALFORMED', location: expect.objectContaining({ line: 2 }) }));
  });
});
