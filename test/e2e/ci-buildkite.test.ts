/**
 * In a Buildkite-shaped environment (BUILDKITE=true, a fake `buildkite-agent` on PATH that records
 * its arguments and standard input) one `shipgate run` makes one annotation with the right style
 * and context, its body the Markdown summary under 1 MiB.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import { NODE, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

/** A `buildkite-agent` that writes its argv and stdin next to itself and exits with `code`. */
async function fakeAgent(dir: string, code = 0): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const agent = join(bin, 'buildkite-agent');
  await writeFile(
    agent,
    `#!${NODE}
const fs = require('node:fs');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  fs.appendFileSync(${JSON.stringify(join(bin, 'calls.jsonl'))}, JSON.stringify({ argv: process.argv.slice(2), stdin: Buffer.concat(chunks).toString('utf8') }) + '\\n');
  if (${code}) process.stderr.write('fatal: annotation rejected\\n');
  process.exit(${code});
});
`,
  );
  await chmod(agent, 0o755);
  return bin;
}

const calls = async (bin: string) => (await readFile(join(bin, 'calls.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; stdin: string });

describe('Buildkite', () => {
  it('annotates through buildkite-agent: style error, context per project, the summary on stdin', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const bin = await fakeAgent(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { BUILDKITE: 'true', PATH: `${bin}:${process.env.PATH}`, API_TOKEN: SECRET } });
    expect(r.code).toBe(1);
    const [call, ...more] = await calls(bin);
    expect(more).toEqual([]);
    expect(call!.argv).toEqual(['annotate', '--style', 'error', '--context', 'shipgate-demo']);
    expect(call!.stdin).toContain('⛔ RELEASE BLOCKED');
    expect(call!.stdin).not.toContain('<img');
    expect(call!.stdin).not.toContain(SECRET);
    expect(Buffer.byteLength(call!.stdin)).toBeLessThanOrEqual(1024 * 1024);
  });

  it('a ready run is a success annotation', async () => {
    const dir = await ciProject({ fail: false, extra: '' });
    dirs.push(dir);
    const bin = await fakeAgent(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { BUILDKITE: 'true', PATH: `${bin}:${process.env.PATH}` } });
    expect(r.code).toBe(0);
    expect((await calls(bin))[0]!.argv).toEqual(['annotate', '--style', 'success', '--context', 'shipgate-demo']);
  });

  it('without the agent on PATH: says so, exit code unchanged; an agent that fails: says so, exit code unchanged', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const none = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { BUILDKITE: 'true', PATH: '/usr/bin:/bin' } });
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('buildkite-agent is not on PATH: no annotation was made');
    const bin = await fakeAgent(dir, 1);
    const failed = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { BUILDKITE: 'true', PATH: `${bin}:${process.env.PATH}` } });
    expect(failed.code).toBe(0);
    expect(failed.stderr).toMatch(/the buildkite report failed: buildkite-agent annotate exited 1: fatal: annotation rejected \(the decision is unchanged\)/);
  });
});
