/**
 * The `shipgate` bin, built by scripts/bundle.mjs into dist/cli/main.cjs: starts the CLI bundle
 * beside it with its code cache (load-bundle.ts).
 *
 * It is CommonJS on purpose. An ES module entry makes Node set up its ES module loader before
 * shipgate runs a line, about 6 ms of every command; CommonJS needs none of it. The one thing only
 * an ES module could do, a real import() of a user's shipgate.config.mjs or of tsx, is open to a
 * CommonJS file too: this file's own import() is handed to the bundle.
 */
import { versionText } from '../util/package-root.js';
import { startBundle } from './load-bundle.js';

const args = process.argv.slice(2);
// `--version` is answered from package.json alone, as main.ts would, without loading the CLI.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${versionText()}\n`);
else startBundle(new URL('./shipgate.cjs', import.meta.url), (specifier) => import(specifier));
