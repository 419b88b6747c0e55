import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkArtifacts, sha256File } from './artifact-files.js';

let dir: string;
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const big = Buffer.alloc(9_500_000, 7);
const small = 'release notes\n';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-artifact-'));
  await mkdir(join(dir, 'deployment'));
  await writeFile(join(dir, 'deployment', 'api-1.2.tar'), big);
  await writeFile(join(dir, 'deployment', 'web-1.2.tar'), small);
  await writeFile(join(dir, 'deployment', 'web-1.1.tar'), 'old');
  await writeFile(join(dir, 'empty.txt'), '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkArtifacts', () => {
  it('records every match of a glob with size and streamed sha256', async () => {
    const { checks, files } = await checkArtifacts([{ fresh: true, path: 'deployment/*-1.2.tar' }], dir);
    expect(checks).toEqual([{ check: 'artifact deployment/*-1.2.tar', expected: 'at least one file', actual: '2 files', ok: true }]);
    expect(files).toEqual([
      { path: join('deployment', 'api-1.2.tar'), size: big.length, sha256: sha(big) },
      { path: join('deployment', 'web-1.2.tar'), size: small.length, sha256: sha(small) },
    ]);
  });

  it('fails a pattern that matches nothing', async () => {
    const { checks, files } = await checkArtifacts([{ fresh: true, path: 'deployment/*-9.9.tar' }], dir);
    expect(checks).toEqual([{ check: 'artifact deployment/*-9.9.tar', expected: 'at least one file', actual: 'no file matches', ok: false }]);
    expect(files).toEqual([]);
  });

  it('checks min and max sizes with human-readable sizes', async () => {
    const { checks } = await checkArtifacts([{ fresh: true, path: 'deployment/api-*.tar', minSize: 10_000_000, maxSize: 20_000_000 }], dir);
    const min = checks.find((c) => c.expected.startsWith('>='));
    const max = checks.find((c) => c.expected.startsWith('<='));
    expect(min).toMatchObject({ check: 'artifact deployment/api-1.2.tar size', expected: '>= 10 MB', actual: '9.5 MB', ok: false, message: '9.5 MB < min 10 MB' });
    expect(max).toMatchObject({ expected: '<= 20 MB', ok: true });
    const tooBig = await checkArtifacts([{ fresh: true, path: 'deployment/api-*.tar', maxSize: 1_000_000 }], dir);
    expect(tooBig.checks.find((c) => c.operator === '<=')).toMatchObject({ ok: false, message: '9.5 MB > max 1 MB' });
  });

  it('fails an empty file unless a size bound allows it', async () => {
    const strict = await checkArtifacts([{ fresh: true, path: 'empty.txt' }], dir);
    expect(strict.checks.map((c) => c.ok)).toEqual([true, false]);
    expect(strict.checks[1]).toMatchObject({ actual: 'empty file' });
    const allowed = await checkArtifacts([{ fresh: true, path: 'empty.txt', minSize: 0 }], dir);
    expect(allowed.checks.every((c) => c.ok)).toBe(true);
  });

  it('compares a pinned sha256 (case-insensitive)', async () => {
    const good = await checkArtifacts([{ fresh: true, path: 'deployment/web-1.2.tar', sha256: sha(small).toUpperCase() }], dir);
    expect(good.checks.every((c) => c.ok)).toBe(true);
    const bad = await checkArtifacts([{ fresh: true, path: 'deployment/web-1.1.tar', sha256: sha(small) }], dir);
    expect(bad.checks[1]).toMatchObject({ check: 'artifact deployment/web-1.1.tar sha256', expected: sha(small), actual: sha('old'), ok: false });
  });

  it('accepts absolute globs and ../ globs', async () => {
    const abs = await checkArtifacts([{ fresh: true, path: join(dir, 'deployment', 'web-*.tar') }], join(dir, 'deployment'));
    expect(abs.files.map((f) => f.path)).toEqual(['web-1.1.tar', 'web-1.2.tar']);
    const up = await checkArtifacts([{ fresh: true, path: '../deployment/web-1.2.tar' }], join(dir, 'deployment'));
    expect(up.files).toHaveLength(1);
    const outside = await checkArtifacts([{ fresh: true, path: '../*.txt' }], join(dir, 'deployment'));
    expect(outside.files.map((f) => f.path)).toEqual([join(dir, 'empty.txt')]);
  });

  it('does not count a directory as an artifact', async () => {
    const { checks } = await checkArtifacts([{ fresh: true, path: 'deployment' }], dir);
    expect(checks).toEqual([{ check: 'artifact deployment', expected: 'at least one file', actual: 'no file matches', ok: false }]);
  });
});

describe('sha256File', () => {
  it('matches an in-memory hash', async () => {
    expect(await sha256File(join(dir, 'deployment', 'api-1.2.tar'))).toBe(sha(big));
  });
});
