/**
 * The CLI bundle's code cache (load-bundle.ts) must only ever make start-up faster: whatever is
 * wrong with the cache, the bundle that runs is the one on disk. Runs real bundles in child
 * processes through the built loader (dist/cli/load-bundle.js), and checks the shipped cache.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_V8_FLAGS, cachePathOf, cacheStatus, fingerprintOf, wrapSource } from './load-bundle.js';

const HEADER = fingerprintOf(Buffer.alloc(0)).length;

const REPO = join(import.meta.dirname, '..', '..');
const BUILT_LOADER = join(REPO, 'dist', 'cli', 'load-bundle.js');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A bundle whose answer shows which code ran, with enough functions for a real cache. */
const bundleText = (answer: string): string =>
  `#!/usr/bin/env node\nfunction add(a, b) { return a + b; }\nconst hook = globalThis[Symbol.for('shipgate.importModule')];\nprocess.stdout.write(String(${answer}) + ' ' + typeof hook + '\\n');\n`;

function project(): { dir: string; bundle: string; run: (mode?: 'write') => { out: string; status: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-bundle-'));
  dirs.push(dir);
  const bundle = join(dir, 'b.cjs');
  const runner = join(dir, 'run.mjs');
  writeFileSync(
    runner,
    `import { startBundle } from ${JSON.stringify(pathToFileURL(BUILT_LOADER).href)};\n` +
      `const status = startBundle(process.argv[2], (s) => import(s), { writeCache: process.argv[3] === 'write' });\n` +
      `process.stdout.write('status=' + status + '\\n');\n`,
  );
  const run = (mode?: 'write') => {
    const text = execFileSync(process.execPath, [runner, bundle, ...(mode ? [mode] : [])], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const [out = '', status = ''] = text.trim().split('\n');
    return { out, status: status.replace('status=', '') };
  };
  return { dir, bundle, run };
}

describe('the CLI bundle loader', () => {
  it('runs a bundle without a cache, writes one only when asked, and then uses it', () => {
    const p = project();
    writeFileSync(p.bundle, bundleText('add(41, 1)'));
    expect(p.run()).toEqual({ out: '42 function', status: 'missing' });
    expect(() => readFileSync(cachePathOf(p.bundle))).toThrow(/ENOENT/);
    expect(p.run('write')).toEqual({ out: '42 function', status: 'missing' });
    const cache = readFileSync(cachePathOf(p.bundle));
    expect(cache.subarray(0, HEADER).equals(fingerprintOf(readFileSync(p.bundle)))).toBe(true);
    expect(cache.length).toBeGreaterThan(100);
    expect(p.run()).toEqual({ out: '42 function', status: 'used' });
  });

  it('never runs the cached code of a bundle edited in place, even one of the same length (V8 alone would)', () => {
    const p = project();
    writeFileSync(p.bundle, bundleText('add(41, 1)'));
    p.run('write');
    const edited = bundleText('add(41, 2)');
    expect(edited.length).toBe(bundleText('add(41, 1)').length);
    writeFileSync(p.bundle, edited);
    // The attack is real: V8's own check is the length, so it takes the old bytecode for the new source.
    const payload = readFileSync(cachePathOf(p.bundle)).subarray(HEADER);
    // With the flags the cache was made with (V8 rejects a cache made with others).
    setFlagsFromString(CLI_V8_FLAGS);
    const raw = new Script(wrapSource(Buffer.from(edited)), { filename: p.bundle, cachedData: payload });
    expect(raw.cachedDataRejected).toBe(false);
    // The loader compiles the bundle on disk instead.
    expect(p.run()).toEqual({ out: '43 function', status: 'stale' });
  });

  it('compiles afresh when the cache is corrupt, cut short, only a header, of an older layout, or another bundle’s', () => {
    const p = project();
    writeFileSync(p.bundle, bundleText('add(41, 1)'));
    p.run('write');
    const good = readFileSync(cachePathOf(p.bundle));
    const header = good.subarray(0, HEADER);
    const payload = good.subarray(HEADER);
    const garbage = Buffer.from(Array.from({ length: payload.length }, (_, i) => (i * 7919) & 0xff));
    const cases: [string, Buffer, string][] = [
      ['corrupt payload', Buffer.concat([header, garbage]), 'rejected'],
      ['cut short', good.subarray(0, HEADER + 40), 'rejected'],
      ['header only', header, 'stale'],
      ['empty', Buffer.alloc(0), 'stale'],
      // The layout of earlier builds: the bundle's SHA-256, then V8's data.
      ['older layout', Buffer.concat([createHash('sha256').update(readFileSync(p.bundle)).digest(), payload]), 'stale'],
      // The right length and tag with another CRC, and the right CRC under another length.
      ['wrong CRC', Buffer.concat([header.subarray(0, HEADER - 4), Buffer.from([header[HEADER - 4]! ^ 1, ...header.subarray(HEADER - 3)]), payload]), 'stale'],
      ['wrong length', Buffer.concat([header.subarray(0, 4), Buffer.from([header[4]! ^ 1]), header.subarray(5), payload]), 'stale'],
    ];
    for (const [name, bytes, status] of cases) {
      writeFileSync(cachePathOf(p.bundle), bytes);
      expect({ name, ...p.run() }).toEqual({ name, out: '42 function', status });
    }
    // Another bundle's cache, of the same length even: its digest does not match.
    const other = project();
    writeFileSync(other.bundle, bundleText('add(40, 2)'));
    other.run('write');
    writeFileSync(cachePathOf(p.bundle), readFileSync(cachePathOf(other.bundle)));
    expect(p.run()).toEqual({ out: '42 function', status: 'stale' });
  });

  it('HOSTILE: a cache path that is a FIFO nobody writes is passed over, not waited on', () => {
    const p = project();
    writeFileSync(p.bundle, bundleText('add(41, 1)'));
    execFileSync('mkfifo', [cachePathOf(p.bundle)]);
    // execFileSync would wait for ever on a read that blocks; the run ends at once instead.
    expect(p.run()).toEqual({ out: '42 function', status: 'missing' });
  });

  it('runs a bundle edited to hold UTF-8 text as UTF-8, as Node would load it', () => {
    const p = project();
    writeFileSync(p.bundle, bundleText(`'a\u2014b'.length + ':' + 'a—b'`));
    expect(p.run()).toEqual({ out: '3:a—b function', status: 'missing' });
  });

  it('ships a cache this Node uses for the built CLI', () => {
    expect(cacheStatus(join(REPO, 'dist', 'cli', 'shipgate.cjs'))).toBe('used');
  });

  it('keeps the built CLI strict, as the ES modules it was written as', () => {
    // `interface` is a reserved word in strict code only: declaring it is a SyntaxError there.
    const probe = (bytes: Buffer) => () => new Script(wrapSource(Buffer.concat([bytes, Buffer.from('\nvar interface = 1;\n')])));
    expect(probe(readFileSync(join(REPO, 'dist', 'cli', 'shipgate.cjs')))).toThrow(SyntaxError);
    // The probe itself is sound: a bundle without the directive compiles with it.
    expect(probe(Buffer.from('#!/usr/bin/env node\nvar x = 1;\n'))).not.toThrow();
  });
});
