import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findMarked, formatToken, MARKER_ENV, markerIdsIn, markerValue, newToken, ownerAlive, parseToken, pidNamespace, tokenOfId } from './marker.js';
import { readStat } from './proc-table.js';

describe('tokens', () => {
  it('round-trip, and anything else is not a token', () => {
    const t = newToken();
    expect(t.pid).toBe(process.pid);
    expect(t.start).toBe(readStat(process.pid)?.start);
    expect(parseToken(formatToken(t))).toEqual(t);
    expect(parseToken('not-a-token')).toBeUndefined();
    expect(parseToken('1.2.3')).toBeUndefined();
    expect(tokenOfId(`${formatToken(t)}/7`)).toBe(formatToken(t));
  });

  it('name a live owner only while that very process runs', () => {
    const t = newToken();
    expect(ownerAlive(t)).toBe(true);
    // Same pid, another start time: the pid was reused, the owner is gone.
    expect(ownerAlive({ ...t, start: t.start + 1 })).toBe(false);
    // A token from another pid namespace cannot be judged here, so it is never treated as dead.
    expect(ownerAlive({ ...t, start: t.start + 1, ns: `${pidNamespace()}9` })).toBe(true);
  });
});

describe('marker values', () => {
  it('keep the ids of enclosing runs, outermost first', () => {
    expect(markerValue(undefined, 'a/1')).toBe('a/1');
    expect(markerValue('outer/3', 'a/1')).toBe('outer/3 a/1');
    expect(markerValue('outer/3 a/1', 'a/1')).toBe('outer/3 a/1');
  });

  it('are read from an environment block, only from a whole entry', () => {
    const block = (entries: string[]) => Buffer.from(`${entries.join('\0')}\0`);
    expect(markerIdsIn(block(['PATH=/bin', `${MARKER_ENV}=o/3 a/1`, 'HOME=/root']))).toEqual(['o/3', 'a/1']);
    expect(markerIdsIn(block([`${MARKER_ENV}=a/1`]))).toEqual(['a/1']);
    expect(markerIdsIn(block([`X_${MARKER_ENV}=fake/1`, 'PATH=/bin']))).toEqual([]);
    expect(markerIdsIn(Buffer.from(''))).toEqual([]);
  });
});

describe('findMarked', () => {
  it('finds a process by the id in its environment, and not once it has gone', async () => {
    const id = `${randomBytes(4).toString('hex')}/1`;
    const child = spawn('sleep', ['30'], { env: { ...process.env, [MARKER_ENV]: `outer/1 ${id}` }, stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    expect(findMarked((x) => x === id)).toEqual([child.pid]);
    expect(findMarked((x) => x === id, { since: (readStat(child.pid!)?.start ?? 0) + 1_000_000 })).toEqual([]);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(findMarked((x) => x === id)).toEqual([]);
  });
});
