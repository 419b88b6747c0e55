import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGoTestJson, sniffGoTestJson } from './go-test-json.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/evidence/go');
const parse = async (name: string) => (await parseGoTestJson(join(FIX, name), { displayPath: name })).tests ?? [];

describe('go test -json', () => {
  it('tests and subtests with Elapsed, skips, failure output as message; passing packages add nothing', async () => {
    const t = await parse('subtests.jsonl');
    expect(t.map((x) => [x.id, x.status, x.durationMs])).toEqual([
      ['github.com/acme/parse::TestParse', 'failed', 2],
      ['github.com/acme/parse::TestParse/empty', 'failed', 0],
      ['github.com/acme/parse::TestParse/ok', 'passed', 1],
      ['github.com/acme/parse::TestSlow', 'skipped', 0],
      ['github.com/acme/util::TestJoin', 'passed', 3],
    ]);
    expect(t[1]!.message).toBe('parse_test.go:12: got error "EOF", want nil');
    expect(t[1]!.message).not.toContain('=== RUN');
  });

  it('a package failing with no test failures (build failure) becomes an error result', async () => {
    const t = await parse('build-failure.jsonl');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ id: 'github.com/acme/broken::(package)', status: 'error' });
    expect(t[0]!.message).toContain('undefined: missingFunc');
  });

  it('a test that never finished is an error', async () => {
    const t = await parse('unfinished.jsonl');
    expect(t.find((x) => x.name === 'TestHangs')).toMatchObject({ status: 'error' });
    expect(t.find((x) => x.name === 'TestHangs')!.message).toContain('index out of range');
  });

  it('a bad line in the middle is malformed with its line number; a cut last line is truncated', async () => {
    await expect(parseGoTestJson(join(FIX, 'malformed.jsonl'), { displayPath: 'm' })).rejects.toMatchObject({
      code: 'EVIDENCE_MALFORMED',
      location: { line: 2 },
    });
    await expect(parseGoTestJson(join(FIX, 'truncated.jsonl'), { displayPath: 't' })).rejects.toMatchObject({ code: 'EVIDENCE_TRUNCATED' });
    await expect(parseGoTestJson(join(FIX, '../junit/empty.xml'), { displayPath: 'e' })).rejects.toMatchObject({ code: 'EVIDENCE_EMPTY' });
  });

  it('sniffs test2json events only', () => {
    expect(sniffGoTestJson('{"Time":"2024-01-01T00:00:00Z","Action":"run","Package":"p","Test":"T"}\n')).toBe(true);
    expect(sniffGoTestJson('{"version":"2.1.0","runs":[]}')).toBe(false);
    expect(sniffGoTestJson('TAP version 13')).toBe(false);
  });
});
