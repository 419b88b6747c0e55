import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sarifParser, severityFromScore, uriToPath } from './sarif.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/sarif', name);

describe('sarif', () => {
  it('reads eslint-like results with file:// URIs and artifact indexes', async () => {
    const { findings } = await sarifParser.parse(fx('eslint-like.sarif'), { displayPath: 'eslint.sarif' });
    const fingerprint = expect.stringMatching(/^[0-9a-f]{16}$/);
    expect(findings).toEqual([
      { tool: 'ESLint', ruleId: 'no-unused-vars', level: 'warning', message: "'x' is assigned a value but never used.", file: 'C:/work/my app/src/index.js', line: 3, column: 7, fingerprint },
      { tool: 'ESLint', ruleId: 'security/detect-eval-with-expression', level: 'error', message: 'eval with argument of type Identifier', file: 'C:/work/my app/src/index.js', line: 9, column: 1, fingerprint },
    ]);
  });

  it('takes level and security severity from rules, extensions and tool labels', async () => {
    const { findings } = await sarifParser.parse(fx('codeql-like.sarif'), { displayPath: 'codeql.sarif' });
    expect(findings).toHaveLength(5);
    const [sql, unused, xss, crypto, bandit] = findings!;
    expect(sql).toMatchObject({ ruleId: 'js/sql-injection', level: 'error', securityScore: 8.8, securitySeverity: 'high', file: 'src/db layer/query.js', line: 42, column: 5 });
    expect(unused).toMatchObject({ level: 'note' });
    expect(unused!.securitySeverity).toBeUndefined();
    // the result's own score wins over the rule's 9.6; message from messageStrings with arguments
    expect(xss).toMatchObject({ level: 'warning', securityScore: 3.1, securitySeverity: 'low', message: 'Cross-site scripting from a URL parameter.' });
    expect(crypto).toMatchObject({ ruleId: 'js/weak-crypto', level: 'warning', securitySeverity: 'medium' });
    expect(crypto!.file).toBeUndefined();
    expect(bandit).toMatchObject({ tool: 'Bandit', ruleId: 'B307', level: 'warning', securitySeverity: 'medium', file: 'src/todo.py', line: 48 });
  });

  it('buckets scores with GitHub bands', () => {
    expect([9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(severityFromScore)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'low', undefined]);
  });

  it('turns URIs into paths', () => {
    expect(uriToPath('file:///C:/x%20y/a.js')).toBe('C:/x y/a.js');
    expect(uriToPath('file:///home/dev/a.js')).toBe('/home/dev/a.js');
    expect(uriToPath('src/a%20b.ts')).toBe('src/a b.ts');
    expect(uriToPath('src/100%.ts')).toBe('src/100%.ts');
  });

  it('fails closed on truncated files and other SARIF versions', async () => {
    await expect(sarifParser.parse(fx('truncated.sarif'), { displayPath: 't.sarif' })).rejects.toMatchObject({ code: 'EVIDENCE_TRUNCATED' });
    await expect(sarifParser.parse(fx('version-1.sarif'), { displayPath: 'v.sarif' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED' });
  });

  it('sniffs SARIF even when "version" comes last', () => {
    expect(sarifParser.sniff('{"version": "2.1.0", "runs": [')).toBe(true);
    expect(sarifParser.sniff('{\n "runs": [\n  {\n   "tool": {\n    "driver": {\n     "name": "Bandit"')).toBe(true);
    expect(sarifParser.sniff('{"results": [{"command": "x", "mean": 1}]}')).toBe(false);
  });
});
