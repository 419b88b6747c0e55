import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepEvidence } from './kept-evidence.js';

describe('kept evidence', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));
  it('HOSTILE: a secret spliced into a query is masked in the kept file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipgate-kept-'));
    const { path } = await keepEvidence(dir, 'slo', 'prometheus', [{ name: 'q', data: { query: 'up{token="s3cr3t-value"}' } }], ['s3cr3t-value']);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain('s3cr3t-value');
    expect(JSON.parse(text)).toMatchObject({ gate: 'slo', kind: 'prometheus', records: [{ name: 'q' }] });
  });
});
