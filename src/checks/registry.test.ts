/**
 * The registry drives the config stage: every kind's key is in the schema (in the editor JSON
 * Schema where probes and artifacts always were), its presence counts as "the gate checks
 * something", and a kind that measures lets `expect` stand without reports.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { jsonSchemaText } from '../config/json-schema.js';
import { validateConfig } from '../config/load.js';
import { fileLocator } from '../config/locate.js';
import { CHECK_KINDS } from './registry.js';

function issues(value: unknown): { code: string; path: string; message: string }[] {
  try {
    validateConfig(value, '/p/shipgate.yml', fileLocator('/p/shipgate.yml'), 'h');
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues;
  }
}

describe('the check-kind registry', () => {
  it('puts every kind into the gate schema, after services and before reports, in registry order', () => {
    const schema = JSON.parse(jsonSchemaText()) as { properties: { gates: { additionalProperties: { properties: Record<string, unknown> } } } };
    const keys = Object.keys(schema.properties.gates.additionalProperties.properties);
    // The keys every editor already knew keep their places; new kinds come after artifacts.
    expect(keys).toEqual(['title', 'run', 'cwd', 'env', 'exit-codes', 'max-age', 'needs', 'when', 'optional', 'external', 'services', ...CHECK_KINDS.map((k) => k.key), 'reports', 'expect', 'severity', 'timeout', 'budget', 'retry', 'manual']);
    expect(CHECK_KINDS.map((k) => k.key).slice(0, 2)).toEqual(['probes', 'artifacts']);
  });

  it('normalises each present kind under its key, and leaves an empty list out', () => {
    const cfg = validateConfig(
      { gates: { a: { run: 'true', probes: [{ get: 'http://127.0.0.1:1/' }], artifacts: [] }, b: { prometheus: { url: 'http://127.0.0.1:9/', queries: { x: 'up' } }, expect: ['metric.x == 1'] } } },
      '/p/shipgate.yml',
      fileLocator('/p/shipgate.yml'),
      'h',
    );
    expect(Object.keys(cfg.gates.a!.checks)).toEqual(['probes']);
    expect(cfg.gates.b!.checks.prometheus).toMatchObject({ url: 'http://127.0.0.1:9/', window: { kind: 'run' }, queries: [{ name: 'x', onNoData: 'fail', minSamples: 1 }] });
  });

  it('HOSTILE: an empty list is no check; a gate of nothing but empty lists has nothing to check', () => {
    expect(issues({ gates: { a: { probes: [], artifacts: [] } } })).toMatchObject([{ code: 'CONFIG_EMPTY_GATE', path: 'gates.a' }]);
  });

  it('a kind that measures lets `expect` stand without reports; one that does not, does not', () => {
    expect(issues({ gates: { a: { load: { url: 'http://127.0.0.1:1/' }, expect: ['metric.load.latency.p95 < 1s'] } } })).toEqual([]);
    expect(issues({ gates: { a: { probes: [{ get: 'http://127.0.0.1:1/' }], expect: ['tests.failed == 0'] } } })).toMatchObject([{ code: 'CONFIG_EXPECT' }]);
  });

  it('a manual gate cannot also have a check kind', () => {
    expect(issues({ gates: { a: { manual: { checklist: ['x'] }, load: { url: 'http://127.0.0.1:1/' } } } })).toMatchObject([{ code: 'CONFIG_VALUE', path: 'gates.a.load' }]);
  });

  it('each kind\'s own rules run, at its own paths', () => {
    const found = issues({ gates: { a: { load: { url: 'http://127.0.0.1:1/', requests: [{ url: 'http://127.0.0.1:1/' }], rate: 'fast' } } } });
    expect(found.map((i) => [i.path, i.code])).toEqual([
      ['gates.a.load', 'CONFIG_VALUE'],
      ['gates.a.load.rate', 'CONFIG_VALUE'],
    ]);
    expect(issues({ gates: { a: { probes: [{ get: 'http://127.0.0.1:1/${nope}' }] } } })).toMatchObject([{ code: 'CONFIG_VARIABLE', path: 'gates.a.probes[0].get' }]);
  });
});
