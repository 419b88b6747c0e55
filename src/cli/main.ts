#!/usr/bin/env node
/**
 * The CLI entry and the only place that exits. Parses flags, calls the library, maps what came
 * back (a decision or a typed error) to an exit code: 0 READY, 1 BLOCKED, 2 usage or configuration
 * error, 3 internal error, 130 interrupted.
 */
import { versionText } from '../util/package-root.js';

/** After a second interrupt, the run gets this long to write its decision before shipgate exits regardless. */
const HURRY_EXIT_MS = 5000;

async function main(argv: string[]): Promise<number> {
  // Fast path: `--version` must not pay for loading the whole CLI.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${versionText()}\n`);
    return 0;
  }
  const [{ buildProgram }, { describeError, exitCodeFor, EXIT }, { lifecycle }] = await Promise.all([
    import('./program.js'),
    import('./exit.js'),
    // Not process.js itself: a command that starts no process never loads the process machinery.
    import('../run/lifecycle.js'),
  ]);
  const { stopAll, hurry, killAllNow } = lifecycle;

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nshipgate: ${sig} received — stopping running gates and services…\n`);
      controller.abort(new Error(sig));
    } else if (signals === 2) {
      // The user wants out now: every stop, running or future, skips its grace period, and the
      // run still takes its normal path, so the interrupted decision is written and recorded.
      process.stderr.write('shipgate: stopping immediately (no grace); writing the decision…\n');
      hurry();
      // A run that still has not finished (a store that hangs, a process stuck in the kernel) does
      // not hold the user hostage: everything is killed and shipgate exits anyway.
      setTimeout(() => {
        process.stderr.write('shipgate: run did not finish within 5 s of the second signal; exiting without its decision\n');
        killAllNow();
        process.exit(EXIT.INTERRUPTED);
      }, HURRY_EXIT_MS).unref();
    } else {
      process.stderr.write('shipgate: third signal; killing everything and exiting now\n');
      killAllNow();
      process.exit(EXIT.INTERRUPTED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code: number = EXIT.READY;
  const ctx = { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal };
  const program = buildProgram(ctx, versionText(), (c) => (code = c));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const text = describeError(e);
    if (text) process.stderr.write(`${text}\n`);
    code = exitCodeFor(e);
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (controller.signal.aborted && code !== EXIT.USAGE) code = EXIT.INTERRUPTED;
  return code;
}

/**
 * Build time only: scripts/warm-cli.mjs runs several commands in one process, so that the code
 * cache it writes at exit holds what each of them compiled. Only that script sets this, on
 * globalThis; no flag or environment variable does.
 */
const WARM_UP = Symbol.for('shipgate.warmUp');

async function mainAll(): Promise<number> {
  const planned = (globalThis as Record<symbol, unknown>)[WARM_UP];
  const argvs = Array.isArray(planned) ? (planned as string[][]) : [process.argv.slice(2)];
  let code = 0;
  for (const argv of argvs) code = await main(argv);
  return code;
}

mainAll().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`shipgate: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(3);
  },
);
