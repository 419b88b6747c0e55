/**
 * shipgate-spawner through the real CLI, as a gate would attack it: a gate that forges "exited 0"
 * frames into its parent's descriptors, and a gate that kills its parent (the spawner) and then
 * exits 0, hoping the exit it cannot report reads as a pass. Neither may pass; the honest gates
 * beside them pass, also one that starts after the spawner is gone (with Node's spawn then).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gate, makeProject, parseDecision, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

async function project(yml: string): Promise<string> {
  const dir = await makeProject({});
  dirs.push(dir);
  await writeFile(join(dir, 'shipgate.yml'), yml);
  return dir;
}

describe('a gate against the spawner', () => {
  it('forging exit frames into its parent through /proc fails the gate; the honest gate passes', async () => {
    // 'X', id n, length 4, status 0: "command n exited 0", for every id a run of two could use.
    const dir = await project(`gates:
  forger:
    run: 'for fd in /proc/$PPID/fd/*; do (for id in 1 2 3 4; do printf "X\\\\00$id\\\\0\\\\0\\\\0\\\\4\\\\0\\\\0\\\\0\\\\0\\\\0\\\\0\\\\0"; done) > "$fd" 2>/dev/null && echo "FORGED-INTO $fd"; echo "TRIED $fd"; done; exit 1'
  honest:
    run: 'echo fine'
`);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(1);
    const d = parseDecision(res.stdout);
    expect(d.result).toBe('BLOCKED');
    expect(gate(d, 'forger').status).toBe('fail');
    expect(gate(d, 'forger').reason).toBe('command exit 1');
    expect(gate(d, 'honest').status).toBe('pass');
    const [run] = await readdir(join(dir, '.shipgate', 'runs'));
    const log = await readFile(join(dir, '.shipgate', 'runs', run!, 'gate-forger.log'), 'utf8');
    // The attack was made (as root the descriptors can be listed) and every one was refused.
    if (process.getuid?.() === 0) expect(log).toMatch(/^TRIED \/proc\/\d+\/fd\/1$/m);
    expect(log).not.toMatch(/^FORGED-INTO/m);
  });

  it('killing the spawner and exiting 0 does not pass: the exit status is unknown, so the gate fails; the next gate runs and passes', async () => {
    const dir = await project(`gates:
  assassin:
    run: 'grep -q shipgate-spawner /proc/$PPID/cmdline && echo "killing the spawner $PPID" && kill -9 $PPID; exit 0'
  later:
    run: 'echo later'
`);
    // One at a time, in the declared order: 'later' starts after the spawner is gone.
    const res = await runCli(['run', '1.0.0', '--no-history', '--json', '--concurrency', '1'], { cwd: dir, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(1);
    const d = parseDecision(res.stdout);
    expect(d.result).toBe('BLOCKED');
    expect(gate(d, 'assassin').status).toBe('fail');
    expect(gate(d, 'assassin').reason).toBe('command: no exit status: shipgate-spawner ended by SIGKILL before the command ended, so its exit status is unknown');
    expect(gate(d, 'later').status).toBe('pass');
  });
});
