/**
 * shipgate's own package folder and version. Found by walking up from this module to the
 * package.json named shipgate, because this code runs at different depths: src/ (tests), dist/
 * (the library) and the one-file CLI bundle dist/cli/shipgate.cjs. Undefined only for a broken
 * install; callers say what that breaks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OwnPackage {
  root: string;
  version: string;
}

let found: OwnPackage | undefined;

export function ownPackage(): OwnPackage | undefined {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'shipgate') return typeof json.version === 'string' && json.version ? (found = { root: dir, version: json.version }) : undefined;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The version `--version` prints: a broken install that lost package.json still runs, its version unknown. */
export function versionText(): string {
  return ownPackage()?.version ?? '0.0.0-unknown';
}
