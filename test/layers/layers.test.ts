import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, importsOf } from './import-graph.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

describe('layer order of src/', () => {
  it('has no import that goes up the layer order, and every folder is placed', () => {
    const report = checkLayers(SRC);
    // The walk really read the tree: an empty or wrong root must not pass.
    expect(report.files).toBeGreaterThan(200);
    expect(report.imports).toBeGreaterThan(500);
    expect(report.unplaced).toEqual([]);
    expect(report.upward.map((u) => `${u.file} imports ${u.specifier} (${u.from} → ${u.to})`)).toEqual([]);
  });
});

describe('the checker', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>): string => {
    const root = mkdtempSync(join(tmpdir(), 'shipgate-layers-'));
    dirs.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  };

  it('catches a planted upward import, type-only and re-exported ones too', () => {
    const root = tree({
      'util/a.ts': "import { x } from '../config/b.js';\n",
      'config/b.ts': "export const x = 1;\nexport type { Store } from '../store/store.js';\n",
      'model/c.ts': "import type { Plan } from '../plan/select.js';\n",
      'evidence/d.ts': "export async function f() { return import('../run/e.js'); }\n",
      'store/store.ts': 'export interface Store {}\n',
      'plan/select.ts': 'export interface Plan {}\n',
      'run/e.ts': 'export {};\n',
    });
    const up = checkLayers(root).upward.map((u) => `${u.from}→${u.to}`);
    expect(up.sort()).toEqual(['config→store', 'evidence→run', 'model→plan', 'util→config']);
  });

  it('accepts the same tree importing downwards only, and same-level folders', () => {
    const root = tree({
      'util/a.ts': 'export const a = 1;\n',
      'errors.ts': "import { a } from './util/a.js';\nexport const e = a;\n",
      'config/b.ts': "import { e } from '../errors.js';\nimport { k } from '../checks/k.js';\nexport const b = e + k;\n",
      'checks/k.ts': "import type { T } from '../model/t.js';\nexport const k = 1; export type U = T;\n",
      'model/t.ts': 'export type T = number;\n',
      'cli/main.ts': "import { b } from '../config/b.js';\nimport { i } from '../index.js';\nconsole.log(b, i);\n",
      'index.ts': "export const i = 1;\n",
    });
    const report = checkLayers(root);
    expect(report.upward).toEqual([]);
    expect(report.imports).toBe(6);
  });

  it('names a folder the order does not place', () => {
    const root = tree({ 'plugins/x.ts': 'export {};\n' });
    expect(checkLayers(root).unplaced).toEqual(['plugins/x.ts']);
  });

  it('reads the import forms TypeScript has', () => {
    const src = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "export * from './c.js';",
      "export { d } from './d.js';",
      "import './e.js';",
      "const f = await import('./f.js');",
      '// import nothing from a comment',
      "const s = \"import x from './not-an-import.js'\";",
    ].join('\n');
    expect(importsOf(src)).toEqual(['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js']);
  });
});
