/**
 * The `shipgate` bin, built by scripts/bundle.mjs into dist/cli/main.cjs: starts the CLI bundle
 * beside it with its code cache (load-bundle.ts).
 *
 * It is CommonJS on purpose. An ES module entry makes Node set up its ES module loader before
 * shipgate runs a line, about 6 ms of every command; CommonJS needs none of it. The one thing only
 * an ES module could do, a real import() of a user's shipgate.config.mjs or of tsx, is open to a
 * CommonJS file too: this file's own import() is handed to the bundle.
 */
import { startBundle } from './load-bundle.js';

startBundle(new URL('./shipgate.cjs', import.meta.url), (specifier) => import(specifier));
