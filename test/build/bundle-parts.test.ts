/**
 * The parts of the CLI build that decide what is in the bundle (scripts/bundle-parts.mjs), each
 * tried with esbuild on the real packages: what it keeps out stays out, what it keeps in still
 * works, and the ASCII check fails a build that would load slowly instead of letting it through.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script, plain JavaScript without declarations
import * as partsModule from '../../scripts/bundle-parts.mjs';

const parts = partsModule as {
  commanderChildProcessOnUse: Plugin;
  englishOnlyZod: Plugin;
  usedStatisticsOnly: Plugin;
  nonAsciiProblem: (bytes: Buffer, name: string) => string | undefined;
};

const REPO = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `source` bundled as the CLI is (CommonJS for Node, ASCII), with `plugins`; the file written. */
async function bundle(source: string, plugins: Plugin[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-parts-'));
  dirs.push(dir);
  const outfile = join(dir, 'out.cjs');
  await build({
    stdin: { contents: source, resolveDir: REPO, loader: 'js' },
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    charset: 'ascii',
    logLevel: 'silent',
    plugins,
  });
  return outfile;
}

const runNode = (file: string): string => execFileSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim();

describe('the ASCII check', () => {
  it('HOSTILE: a non-ASCII character esbuild must keep (a tagged template’s raw text) fails the build, naming the line', async () => {
    const file = await bundle("const tag = (s) => s.raw[0];\nconsole.log('plain \u00b5');\nconsole.log(tag`raw \u00b5s`);\n", []);
    const bytes = readFileSync(file);
    // esbuild escapes the string literal, but not the template: the danger is real.
    expect(bytes.toString('latin1')).toContain('plain \\xB5');
    const problem = parts.nonAsciiProblem(bytes, 'out.cjs');
    expect(problem).toMatch(/^out\.cjs:\d+ holds a non-ASCII character \(…console\.log\(tag`raw µs`\);…\); write it as an escape or an HTML entity in the source$/);
    const line = Number(/^out\.cjs:(\d+)/.exec(problem!)![1]);
    expect(bytes.toString('latin1').split('\n')[line - 1]).toContain('raw');
  });

  it('passes an ASCII bundle, escapes included', async () => {
    const file = await bundle("console.log('caf\u00e9', `x\\u00b5`);\n", []);
    expect(parts.nonAsciiProblem(readFileSync(file), 'out.cjs')).toBeUndefined();
    expect(runNode(file)).toBe('café xµ');
  });

  it('finds the byte wherever it is: first line, last byte', () => {
    expect(parts.nonAsciiProblem(Buffer.from('\u00e9'), 'f')).toMatch(/^f:1 /);
    expect(parts.nonAsciiProblem(Buffer.from('a\nb\nc\u00e9'), 'f')).toMatch(/^f:3 /);
    expect(parts.nonAsciiProblem(Buffer.from('a\nb\nc\n'), 'f')).toBeUndefined();
  });
});

describe("commander's child_process, loaded on first use", () => {
  const program = (sub: boolean) => `
    const { Command } = require('commander');
    process.on('uncaughtException', (e) => console.log('error: ' + e.message));
    const loaded = () => process.moduleLoadList.includes('NativeModule child_process');
    const p = new Command('prog').exitOverride();
    p.command('hello').action(() => console.log('hello ran; child_process loaded: ' + loaded()));
    ${sub ? "p.command('ext', 'an executable subcommand', { executableFile: '/nonexistent/prog-ext' });" : ''}
    try { p.parse(['node', 'prog', ${sub ? "'ext'" : "'hello'"}]); } catch (e) { console.log('error: ' + e.code); }
    ${sub ? "setTimeout(() => console.log('child_process loaded: ' + loaded()), 200);" : ''}
  `;

  it('is not loaded by a program that never starts an executable subcommand', async () => {
    expect(runNode(await bundle(program(false), [parts.commanderChildProcessOnUse]))).toBe('hello ran; child_process loaded: false');
    // Without the plugin commander loads it when it loads: the plugin is what keeps it out.
    expect(runNode(await bundle(program(false), []))).toBe('hello ran; child_process loaded: true');
  });

  it('HOSTILE: an executable subcommand still reaches the real spawn through it (and fails as commander says)', async () => {
    const out = runNode(await bundle(program(true), [parts.commanderChildProcessOnUse])).split('\n');
    // commander spawned /nonexistent/prog-ext through the real child_process: ENOENT, its own error.
    expect(out).toContain('child_process loaded: true');
    expect(out).toContain("error: '/nonexistent/prog-ext' does not exist");
  });
});

describe('zod in English only', () => {
  it('keeps the other locales out, and English messages in', async () => {
    const source = "import { z } from 'zod';\nconsole.log(z.string().safeParse(1).error.issues[0].message);\n";
    const file = await bundle(source, [parts.englishOnlyZod]);
    expect(runNode(file)).toBe('Invalid input: expected string, received number');
    const text = readFileSync(file, 'latin1');
    expect(text).not.toContain('Eingabe');
    // The nearest bundle without the plugin has them all.
    expect(readFileSync(await bundle(source, []), 'latin1')).toContain('Eingabe');
  });
});

describe('simple-statistics, only what is used', () => {
  it('bundles the functions imported and none of the tables computed at load', async () => {
    const source = "import { mean, sampleStandardDeviation } from 'simple-statistics';\nconsole.log(mean([1, 2, 3]), sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]).toFixed(3));\n";
    const file = await bundle(source, [parts.usedStatisticsOnly]);
    expect(runNode(file)).toBe('2 2.138');
    expect(readFileSync(file, 'latin1')).not.toContain('standardNormalTable');
    expect(readFileSync(await bundle(source, []), 'latin1')).toMatch(/standardNormalTable|cumulativeDistribution/);
  });
});
