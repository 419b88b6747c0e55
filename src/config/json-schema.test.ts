import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaText } from './json-schema.js';

describe('JSON Schema for editors', () => {
  it('is in sync with the config schema (regenerate with `npm run schema`)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'shipgate.schema.json'), 'utf8');
    expect(committed).toBe(jsonSchemaText());
  });

  it('describes gates with their keys and forbids unknown ones', () => {
    const schema = JSON.parse(jsonSchemaText()) as {
      properties: { gates: { additionalProperties: { properties: Record<string, unknown>; additionalProperties: boolean } } };
    };
    const gate = schema.properties.gates.additionalProperties;
    expect(Object.keys(gate.properties)).toEqual(expect.arrayContaining(['run', 'needs', 'when', 'optional', 'services', 'probes', 'artifacts', 'reports', 'expect', 'severity', 'timeout', 'budget', 'retry', 'manual']));
    expect(gate.additionalProperties).toBe(false);
  });
});
