import { describe, expect, it } from 'vitest';
import { isSingleCommand } from './shell.js';

describe('isSingleCommand', () => {
  it('accepts one command, whatever its quoting, substitutions and comments', () => {
    for (const cmd of [
      'pytest --junitxml=r.xml',
      'pytest -k "a; b && c | d"',
      "pytest -k 'x; exit 1'",
      'pytest --basetemp=$(mktemp -d; echo)',
      'go test -json ./... `echo a; b`',
      'pytest # runs; the suite',
      'A=1 B=2 npx vitest run',
      'echo a\\;b',
    ]) {
      expect(isSingleCommand(cmd), cmd).toBe(true);
    }
  });

  it('refuses anything that runs another step after (or around) the first', () => {
    for (const cmd of [
      'pytest; exit 1',
      'pytest && ./deploy-check',
      'cd api && pytest',
      'pytest || true',
      'pytest | tee out.txt',
      'pytest & wait',
      'pytest\nexit 1',
      'pytest # comment\nexit 1',
      '{ pytest; }',
      'if pytest; then :; fi',
      'pytest "unclosed',
    ]) {
      expect(isSingleCommand(cmd), cmd).toBe(false);
    }
  });
});
