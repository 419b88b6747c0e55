import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvidenceError } from '../errors.js';
import { parseTap, sniffTap } from './tap.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/evidence/tap');
const parse = async (name: string) => (await parseTap(join(FIX, name), { displayPath: name })).tests ?? [];

describe('TAP', () => {
  it('TAP 13: YAML diagnostics, SKIP, TODO not-ok is not a failure, escaped #', async () => {
    const t = await parse('tap13-yaml.tap');
    expect(t.map((x) => [x.name, x.status])).toEqual([
      ['parses config', 'passed'],
      ['rejects bad input', 'failed'],
      ['uploads', 'skipped'],
      ['supports unicode', 'skipped'],
      ['escapes # hashes', 'passed'],
    ]);
    expect(t[1]).toMatchObject({ message: 'expected error, got nil', durationMs: 12.5 });
    expect(t[2]!.message).toBe('skip: no network in CI');
  });

  it('TAP 14 subtests: leaves counted with their suite path; a suite failing outside its tests is an error', async () => {
    const t = await parse('tap14-subtests.tap');
    expect(t.map((x) => [x.id, x.status])).toEqual([
      ['api > users::creates a user', 'passed'],
      ['api > users::deletes a user', 'failed'],
      ['api::health', 'passed'],
      ['setup::connects', 'passed'],
      ['setup::(suite)', 'error'],
    ]);
    expect(t[1]).toMatchObject({ message: 'Expected 204\nReceived 500', durationMs: 1.1 });
    expect(t[4]!.message).toContain('after() hook failed');
  });

  it('Bail out! is an error, and the tests the plan promised but never ran are errors', async () => {
    const t = await parse('bail-out.tap');
    expect(t.filter((x) => x.status === 'error').map((x) => x.name)).toEqual(['Bail out!', 'test 3 (not reported)', 'test 4 (not reported)']);
    expect(t.find((x) => x.name === 'Bail out!')!.message).toBe('Database is down');
    const short = await parse('plan-short.tap');
    expect(short.map((x) => x.status)).toEqual(['passed', 'passed', 'error', 'error']);
  });

  it('points without a plan: the stream was cut', async () => {
    await expect(parseTap(join(FIX, 'no-plan.tap'), { displayPath: 'no-plan.tap' })).rejects.toMatchObject({ code: 'EVIDENCE_TRUNCATED' });
  });

  it('empty and non-TAP text fail closed', async () => {
    const e1 = await parseTap(join(FIX, '../junit/empty.xml'), { displayPath: 'e' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(EvidenceError);
    expect((e1 as EvidenceError).code).toBe('EVIDENCE_EMPTY');
    const e2 = await parseTap(join(FIX, '../junit/json-named.xml'), { displayPath: 'j' }).catch((e: unknown) => e);
    expect((e2 as EvidenceError).code).toBe('EVIDENCE_MALFORMED');
  });

  it('sniffs TAP by header or first point', () => {
    expect(sniffTap('TAP version 14\n1..1\nok 1')).toBe(true);
    expect(sniffTap('# Subtest: a\n    ok 1 - x')).toBe(true);
    expect(sniffTap('ok 1 - x\n1..1')).toBe(true);
    expect(sniffTap('{"Action":"run"}')).toBe(false);
    expect(sniffTap('okay then')).toBe(false);
  });
});
