import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * End-to-end tests run the real CLI binary from dist/. `npm test` builds before vitest; a direct
 * `npx vitest` builds here so the binary is never stale.
 */
export default function setup(): void {
  if (process.env.npm_lifecycle_event === 'test' || process.env.SHIPGATE_SKIP_BUILD) return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
