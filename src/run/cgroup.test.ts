import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupPids, createCgroup, ENTER_CGROUP_SCRIPT, isPopulated, killCgroup, locateOwnCgroup, ownCgroupDir, removeCgroup } from './cgroup.js';

const until = async (pred: () => boolean): Promise<void> => {
  while (!pred()) await new Promise((r) => setTimeout(r, 10));
};

describe('locateOwnCgroup', () => {
  const line = (id: number, root: string, mnt: string, fs: string) => `${id} 1 0:${id} ${root} ${mnt} rw,relatime shared:1 - ${fs} ${fs} rw`;

  it('maps our cgroup path onto the cgroup2 mount, on pure v2 and hybrid machines', () => {
    const hybrid = [line(30, '/', '/sys/fs/cgroup/memory', 'cgroup'), line(31, '/', '/sys/fs/cgroup/unified', 'cgroup2')].join('\n');
    expect(locateOwnCgroup('4:memory:/x\n0::/\n', hybrid)).toBe('/sys/fs/cgroup/unified');
    expect(locateOwnCgroup('0::/user.slice/session-1.scope\n', line(31, '/', '/sys/fs/cgroup', 'cgroup2'))).toBe('/sys/fs/cgroup/user.slice/session-1.scope');
  });

  it('accounts for a mount of a subtree, and unescapes mount points', () => {
    expect(locateOwnCgroup('0::/docker/abc/inner\n', line(31, '/docker/abc', '/sys/fs/cgroup', 'cgroup2'))).toBe('/sys/fs/cgroup/inner');
    expect(locateOwnCgroup('0::/a\n', line(31, '/', '/mnt/my\\040cgroups', 'cgroup2'))).toBe('/mnt/my cgroups/a');
  });

  it('finds nothing without a cgroup2 mount that shows our cgroup', () => {
    expect(locateOwnCgroup('4:memory:/x\n', line(31, '/', '/sys/fs/cgroup/unified', 'cgroup2'))).toBeUndefined();
    expect(locateOwnCgroup('0::/a\n', line(30, '/', '/sys/fs/cgroup/memory', 'cgroup'))).toBeUndefined();
    expect(locateOwnCgroup('0::/elsewhere\n', line(31, '/docker/abc', '/sys/fs/cgroup', 'cgroup2'))).toBeUndefined();
  });
});

// These need what the machines this project runs on provide (CI included): a writable cgroup v2
// hierarchy. Where it is missing they fail rather than skip, and containment falls back to the
// marker (containment.test.ts covers both modes).
describe('a cgroup on this machine', () => {
  it('tracks a double-forked, setsid daemon whose parent exited, and one write kills it', async () => {
    const own = ownCgroupDir();
    expect(own, 'no cgroup v2 directory for this process').toBeDefined();
    const dir = join(own!, `shipgate-test.${randomBytes(4).toString('hex')}`);
    createCgroup(dir);
    try {
      const inner = join(dir, 'c1');
      createCgroup(inner);
      // The daemon: setsid, in the background of a shell that exits at once.
      const sh = spawn('/bin/sh', ['-c', ENTER_CGROUP_SCRIPT, join(inner, 'cgroup.procs'), 'setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $!'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      sh.stdout.on('data', (c: Buffer) => (out += c.toString()));
      // 'close' waits for both the exit and the end of output (the daemon's is redirected away).
      const code = await new Promise((r) => sh.once('close', r));
      expect(code).toBe(0);
      const daemon = Number(out.trim());
      // setsid execs sleep in the same process once it has left the session.
      await until(() => readFileSync(`/proc/${daemon}/stat`, 'utf8').includes('(sleep)'));
      expect(isPopulated(inner)).toBe(true);
      expect(isPopulated(dir)).toBe(true);
      expect(cgroupPids(dir)).toEqual([daemon]);
      // The parent cgroup's kill reaches the child cgroup too.
      killCgroup(dir);
      await until(() => !isPopulated(dir));
      const after = existsSync(`/proc/${daemon}/stat`) ? readFileSync(`/proc/${daemon}/stat`, 'utf8') : undefined;
      // Gone, or a zombie waiting for init to reap it.
      expect(after === undefined || /\) [ZX] /.test(after)).toBe(true);
    } finally {
      killCgroup(dir);
      await until(() => !isPopulated(dir));
      expect(removeCgroup(dir)).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses to run a command that cannot enter its cgroup', async () => {
    const sh = spawn('/bin/sh', ['-c', ENTER_CGROUP_SCRIPT, '/nonexistent/cgroup.procs', 'echo ran'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sh.stdout.on('data', (c: Buffer) => (out += c.toString()));
    sh.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise((r) => sh.once('close', r));
    expect(code).toBe(125);
    expect(out).toContain('RUN_CONTAIN_FAILED');
    expect(out).not.toContain('ran\n');
  });
});
