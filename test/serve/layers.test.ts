/** The dashboard sits at the top with the CLI: nothing below imports it, and it imports no command. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../e2e/helpers.js';

const SRC = join(REPO, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((m) => relative(SRC, join(file, '..', m[1]!)));
}

describe('layers', () => {
  it('only the CLI imports src/serve; src/serve imports no CLI code; the store imports neither', () => {
    const wrong: string[] = [];
    for (const f of files(SRC)) {
      const rel = relative(SRC, f);
      for (const target of imports(f)) {
        if (target.startsWith('serve/') && !rel.startsWith('serve/') && !rel.startsWith('cli/')) wrong.push(`${rel} → ${target}`);
        if (rel.startsWith('serve/') && target.startsWith('cli/')) wrong.push(`${rel} → ${target}`);
        if (rel.startsWith('store/') && /^(serve|cli|run|report)\//.test(target)) wrong.push(`${rel} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
