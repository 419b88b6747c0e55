/**
 * The files the pages load: the dashboard's own script and stylesheet (assets/serve/ in the
 * package) and uPlot's, from node_modules. Read once at start and served from memory with a fixed
 * list of names: no request path ever reaches the file system here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ShipgateError } from '../errors.js';
import { ownPackage } from '../util/package-root.js';

export interface Asset {
  body: Buffer;
  type: string;
}

export function loadAssets(): Map<string, Asset> {
  const root = ownPackage()?.root;
  if (!root) throw new ShipgateError('SERVE_ASSETS', 'cannot find the shipgate package folder (for the dashboard files)', { hint: 'reinstall shipgate' });
  const require = createRequire(join(root, 'package.json'));
  const files: [string, string, string][] = [
    ['app.js', join(root, 'assets', 'serve', 'app.js'), 'text/javascript; charset=utf-8'],
    ['app.css', join(root, 'assets', 'serve', 'app.css'), 'text/css; charset=utf-8'],
    ['uplot.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uplot.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  const out = new Map<string, Asset>();
  for (const [name, path, type] of files) {
    try {
      out.set(name, { body: readFileSync(path), type });
    } catch (e) {
      throw new ShipgateError('SERVE_ASSETS', `cannot read the dashboard file ${path}: ${(e as Error).message}`, { hint: 'reinstall shipgate (npm ci)' });
    }
  }
  return out;
}
