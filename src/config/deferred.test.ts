/**
 * Deferred schemas (deferred.ts) must be the schemas they stand for in everything but when they
 * are built: the same verdicts, the same issues at the same paths, the same did-you-mean hints and
 * the same editor JSON Schema. And a config that uses a check kind must still have it checked.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { deferred, once } from './deferred.js';
import { allowedKeys } from './issues.js';
import { loadConfig } from './load.js';

const probe = () =>
  z
    .strictObject({
      get: z.string().optional(),
      post: z.string().optional(),
      status: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
      retry: z.strictObject({ deadline: z.string(), interval: z.string().optional() }).optional(),
    })
    .refine((p) => (p.get === undefined) !== (p.post === undefined), { message: 'exactly one of get, post' });

function pair() {
  let builds = 0;
  const lazyProbe = deferred(() => {
    builds++;
    return probe();
  });
  const gate = (p: z.ZodType) => z.strictObject({ run: z.string().optional(), probes: z.array(p).optional(), probe: p.optional().meta({ description: 'one' }) });
  return { deferredGate: gate(lazyProbe), eagerGate: gate(probe()), builds: () => builds };
}

describe('a deferred schema', () => {
  it('is not built while no value needs it, and then once', () => {
    const { deferredGate, builds } = pair();
    expect(deferredGate.safeParse({ run: 'true' }, { jitless: true }).success).toBe(true);
    expect(deferredGate.safeParse({}, { jitless: true }).success).toBe(true);
    expect(builds()).toBe(0);
    expect(deferredGate.safeParse({ probe: { get: '/' } }, { jitless: true }).success).toBe(true);
    expect(deferredGate.safeParse({ probes: [{ get: '/' }, { post: '/' }] }, { jitless: true }).success).toBe(true);
    expect(builds()).toBe(1);
    const n = once(() => ({}));
    expect(n()).toBe(n());
  });

  it('HOSTILE: judges every bad value as the schema itself does, issue for issue and path for path', () => {
    const { deferredGate, eagerGate } = pair();
    const bad: unknown[] = [
      { probe: null },
      { probe: 'a string' },
      { probe: {} },
      { probe: { get: '/', post: '/' } },
      { probe: { get: 1, status: 'x', extra: true } },
      { probe: { get: '/', retry: { deadline: 5 } } },
      { probes: [{ get: '/' }, { gett: '/' }, 7] },
      { probes: {} },
      { run: 1, probe: { get: '/' }, stray: 1 },
    ];
    for (const value of bad) {
      const mine = deferredGate.safeParse(value, { jitless: true });
      const theirs = eagerGate.safeParse(value, { jitless: true });
      expect(mine.success).toBe(false);
      expect({ value, issues: mine.error?.issues }).toEqual({ value, issues: theirs.error?.issues });
    }
    // The nearest honest values pass both, with the same data.
    for (const value of [{ probe: { get: '/', status: [200, 204] } }, { probes: [{ post: '/', retry: { deadline: '5s' } }] }]) {
      expect(deferredGate.safeParse(value, { jitless: true })).toEqual(eagerGate.safeParse(value, { jitless: true }));
    }
  });

  it('has the same editor JSON Schema, and the same keys for did-you-mean hints', () => {
    const { deferredGate, eagerGate } = pair();
    const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
    expect(json(deferredGate)).toEqual(json(eagerGate));
    expect(allowedKeys(deferredGate, ['probe'])).toEqual(['get', 'post', 'status', 'retry']);
    expect(allowedKeys(deferredGate, ['probes', 0, 'retry'])).toEqual(['deadline', 'interval']);
    expect(allowedKeys(deferredGate, ['probe'])).toEqual(allowedKeys(eagerGate, ['probe']));
  });
});

describe('the check kinds, deferred', () => {
  async function issuesOf(yaml: string) {
    const dir = await mkdtemp(join(tmpdir(), 'sg-deferred-'));
    const file = join(dir, 'shipgate.yml');
    await writeFile(file, yaml);
    const err = await loadConfig({ file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => ({ code: i.code, path: i.path, hint: i.hint, line: i.location?.line }));
  }

  it('HOSTILE: a mistake inside a kind is still found, located and explained', async () => {
    const issues = await issuesOf(`gates:
  smoke:
    probes:
      - get: http://127.0.0.1:8080/health
        retyr: 5s
    load:
      url: http://127.0.0.1:8080/
      connectoins: 10
    canary:
      baseline: http://127.0.0.1:8080/
      canary: http://127.0.0.1:8081/
      load: { rate: 10/s, urls: [] }
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        { code: 'CONFIG_UNKNOWN_KEY', path: 'gates.smoke.probes[0].retyr', line: 5, hint: 'did you mean "retry"?' },
        { code: 'CONFIG_UNKNOWN_KEY', path: 'gates.smoke.load.connectoins', line: 8, hint: 'did you mean "connections"?' },
        // canary's `load` is a part of load's schema: its keys, and only those.
        { code: 'CONFIG_UNKNOWN_KEY', path: 'gates.smoke.canary.load.urls', line: 12, hint: 'allowed keys: connections, rate, duration, warmup, timeout, inconclusive' },
      ]),
    );
  });

  it('accepts the nearest honest config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-deferred-'));
    const file = join(dir, 'shipgate.yml');
    await writeFile(file, `gates:\n  smoke:\n    probes:\n      - get: http://127.0.0.1:8080/health\n        retry: 5s\n    load:\n      url: http://127.0.0.1:8080/\n      connections: 10\n`);
    const config = await loadConfig({ file });
    expect(config.gates.smoke?.checks.load?.connections).toBe(10);
  });
});
