/**
 * `faults:` and phase-bound probes in the config stage: each rule with the hostile input it
 * refuses beside the nearest honest input that passes.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { validateConfig } from '../config/load.js';
import { fileLocator } from '../config/locate.js';

type Issue = { code: string; path: string; message: string; hint?: string };

function issues(value: unknown): Issue[] {
  try {
    validateConfig(value, '/p/shipgate.yml', fileLocator('/p/shipgate.yml'), 'h');
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues;
  }
}

const HEALTH = 'http://127.0.0.1:4100/health';
const services = { redis: { run: 'redis-server' }, api: { run: 'node api.mjs' } };
const probes = [
  { get: HEALTH, json: { status: 'degraded' }, during: 'fault' },
  { get: HEALTH, json: { status: 'ok' }, after: 'recovery', within: '30s' },
];
/** A chaos gate with one fault (overridable) and the usual probes. */
const config = (fault: Record<string, unknown>, gate: Record<string, unknown> = {}) => ({
  services,
  gates: { chaos: { services: ['redis', 'api'], faults: [fault], probes, ...gate } },
});
const at = (found: Issue[]) => found.map((i) => [i.path, i.code]);

describe('faults config', () => {
  it('honest: process and network faults with what they need pass, and normalise', () => {
    const cfg = validateConfig(
      config({ service: 'redis', action: 'latency', delay: '500ms', after: '1s', for: '5s', proxy: { listen: 6391, to: 6390 } }),
      '/p/shipgate.yml',
      fileLocator('/p/shipgate.yml'),
      'h',
    );
    expect(cfg.gates.chaos!.checks.faults).toEqual([{ service: 'redis', action: 'latency', afterMs: 1000, forMs: 5000, delayMs: 500, proxy: { listen: 6391, to: 6390 } }]);
    expect(cfg.gates.chaos!.checks.probes!.map((p) => [p.phase, p.withinMs])).toEqual([['fault', undefined], ['recovery', 30_000]]);
    for (const fault of [
      { service: 'redis', action: 'stop', for: '5s' },
      { service: 'redis', action: 'pause', for: '5s' },
      { service: 'redis', action: 'kill', for: '2s' },
      { service: 'redis', action: 'drop', for: '5s', proxy: { listen: 6391, to: 6390 } },
      { service: 'redis', action: 'reset', for: '5s', proxy: { listen: 6391, to: 6390 } },
    ]) {
      expect(issues(config(fault)), JSON.stringify(fault)).toEqual([]);
    }
    // Without `for` there is no fault phase to probe, only the recovery after it.
    for (const fault of [{ service: 'redis', action: 'kill' }, { service: 'redis', action: 'restart' }]) {
      expect(issues(config(fault, { probes: [probes[1]] })), JSON.stringify(fault)).toEqual([]);
    }
  });

  it('HOSTILE: a service the gate does not have, with the nearest of its services', () => {
    const found = issues(config({ service: 'rediss', action: 'stop', for: '5s' }));
    expect(found).toMatchObject([{ code: 'CONFIG_UNKNOWN_SERVICE', path: 'gates.chaos.faults[0].service', hint: 'did you mean "redis"?' }]);
    // Declared, but not started for this gate: a fault could not reach it.
    const notHere = issues({ services, gates: { chaos: { services: ['api'], faults: [{ service: 'redis', action: 'stop', for: '5s' }], probes } } });
    expect(notHere).toMatchObject([{ code: 'CONFIG_UNKNOWN_SERVICE', message: 'service "redis" is not one of this gate\'s services', hint: "this gate's services: api" }]);
  });

  it('HOSTILE: an unknown action is refused by the schema, with the nearest action', () => {
    expect(issues(config({ service: 'redis', action: 'stpo', for: '5s' }))).toMatchObject([{ path: 'gates.chaos.faults[0].action', hint: 'did you mean "stop"?' }]);
  });

  it('HOSTILE: a lasting fault without `for`, a restart with one', () => {
    for (const action of ['stop', 'pause']) {
      expect(at(issues(config({ service: 'redis', action })))).toEqual([['gates.chaos.faults[0].action', 'CONFIG_VALUE']]);
    }
    expect(issues(config({ service: 'redis', action: 'drop', proxy: { listen: 1, to: 2 } }))).toMatchObject([{ message: 'a drop fault needs `for`: how long it lasts' }]);
    expect(issues(config({ service: 'redis', action: 'restart', for: '5s' }))).toMatchObject([{ path: 'gates.chaos.faults[0].for', message: expect.stringContaining('no `for`') }]);
  });

  it('HOSTILE: latency without delay, delay without latency, network faults without a proxy, a process fault with one', () => {
    const proxy = { listen: 6391, to: 6390 };
    expect(issues(config({ service: 'redis', action: 'latency', for: '5s', proxy }))).toMatchObject([{ message: 'a latency fault needs `delay`' }]);
    expect(issues(config({ service: 'redis', action: 'stop', for: '5s', delay: '1s' }))).toMatchObject([{ path: 'gates.chaos.faults[0].delay' }]);
    expect(issues(config({ service: 'redis', action: 'reset', for: '5s' }))).toMatchObject([{ message: expect.stringContaining('needs `proxy: { listen, to }`') }]);
    expect(issues(config({ service: 'redis', action: 'pause', for: '5s', proxy }))).toMatchObject([{ path: 'gates.chaos.faults[0].proxy' }]);
    expect(issues(config({ service: 'redis', action: 'drop', for: '5s', proxy: { listen: 6390, to: 6390 } }))).toMatchObject([{ path: 'gates.chaos.faults[0].proxy.listen' }]);
    expect(issues(config({ service: 'redis', action: 'drop', for: '5s', proxy: { listen: 70000, to: 6390 } }))).toMatchObject([{ path: 'gates.chaos.faults[0].proxy.listen', message: 'must be at most 65535' }]);
  });

  it('HOSTILE: two faults on one service at once; the same two one after the other pass', () => {
    const two = (second: string) => ({
      services,
      gates: { chaos: { services: ['redis', 'api'], probes, faults: [{ service: 'redis', action: 'stop', after: '1s', for: '5s' }, { service: 'redis', action: 'pause', after: second, for: '2s' }] } },
    });
    expect(issues(two('3s'))).toMatchObject([{ path: 'gates.chaos.faults[1].after', message: 'faults 0 and 1 act on service "redis" at the same time' }]);
    expect(issues(two('7s'))).toEqual([]);
  });

  it('HOSTILE: faults without probes to judge them, or with probes bound to no phase; one bound probe is enough', () => {
    const fault = { service: 'redis', action: 'stop', for: '5s' };
    const message = "faults are judged by the gate's probes bound to their phases, and this gate has none";
    expect(issues(config(fault, { probes: undefined, run: 'true' }))).toMatchObject([{ path: 'gates.chaos.faults', message }]);
    expect(issues(config(fault, { probes: [{ get: HEALTH }] }))).toMatchObject([{ path: 'gates.chaos.faults', message }]);
    expect(issues(config(fault, { probes: [{ get: HEALTH }, probes[1]] }))).toEqual([]);
  });

  it('HOSTILE: a phase-bound probe without faults, in two phases at once, `within` outside recovery or beside `retry`', () => {
    expect(issues({ gates: { g: { probes: [{ get: HEALTH, during: 'fault' }] } } })).toMatchObject([{ path: 'gates.g.probes[0].during', message: expect.stringContaining('needs the gate\'s `faults:`') }]);
    const withProbe = (p: Record<string, unknown>) => config({ service: 'redis', action: 'stop', for: '5s' }, { probes: [p] });
    expect(at(issues(withProbe({ get: HEALTH, during: 'fault', after: 'recovery' })))).toEqual([['gates.chaos.probes[0].after', 'CONFIG_VALUE']]);
    expect(at(issues(withProbe({ get: HEALTH, during: 'fault', within: '5s' })))).toEqual([['gates.chaos.probes[0].within', 'CONFIG_VALUE']]);
    expect(at(issues(withProbe({ get: HEALTH, after: 'recovery', within: '5s', retry: '5s' })))).toEqual([['gates.chaos.probes[0].retry', 'CONFIG_VALUE']]);
    expect(at(issues(withProbe({ get: HEALTH, during: 'later' })))).toEqual([['gates.chaos.probes[0].during', expect.any(String)]]);
    expect(issues(withProbe({ get: HEALTH, after: 'recovery', within: '5s' }))).toEqual([]);
  });

  it('HOSTILE: a `during: fault` probe when no fault lasts; the same with a `for` passes', () => {
    for (const action of ['restart', 'kill']) {
      expect(issues(config({ service: 'redis', action }))).toMatchObject([{ path: 'gates.chaos.probes[0].during', message: expect.stringContaining('no time to probe during them') }]);
    }
    expect(issues(config({ service: 'redis', action: 'kill', for: '2s' }))).toEqual([]);
  });

  it('HOSTILE: phases are for gates only: a rollback or publish probe with `during` is refused', () => {
    const found = issues({ gates: { g: { run: 'true' } }, rollback: { steps: [{ probe: { get: HEALTH, during: 'fault' } }] } });
    expect(found).toMatchObject([{ code: 'CONFIG_UNKNOWN_KEY', path: 'rollback.steps[0].probe.during' }]);
  });
});
