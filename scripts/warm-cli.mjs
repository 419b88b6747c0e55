/**
 * A build step (scripts/bundle.mjs): one run of the CLI bundle that writes the bundle's code cache
 * when it exits, so the cache holds what that run compiled. Arguments are the CLI's.
 */
import { URL } from 'node:url';
import { startBundle } from '../dist/cli/load-bundle.js';

startBundle(new URL('../dist/cli/shipgate.cjs', import.meta.url), (specifier) => import(specifier), { writeCache: true });
