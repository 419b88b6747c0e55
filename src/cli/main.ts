#!/usr/bin/env node
/**
 * The CLI entry and the only place that exits. Parses flags, calls the library, maps what came
 * back (a decision or a typed error) to an exit code: 0 READY, 1 BLOCKED, 2 usage or configuration
 * error, 3 internal error, 130 interrupted.
 */
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  // Fast path: `--version` must not pay for loading the whole CLI.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const [{ buildProgram }, { describeError, exitCodeFor, EXIT }, { stopAll }] = await Promise.all([
    import('./program.js'),
    import('./exit.js'),
    import('../run/process.js'),
  ]);

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nshipgate: ${sig} received — stopping running gates and services…\n`);
      controller.abort(new Error(sig));
    } else {
      // A second signal: the user wants out now. Kill everything without grace.
      process.stderr.write('shipgate: stopping immediately\n');
      void stopAll(0).finally(() => process.exit(EXIT.INTERRUPTED));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code: number = EXIT.READY;
  const ctx = { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal };
  const program = buildProgram(ctx, packageVersion(), (c) => (code = c));
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
  }
  if (controller.signal.aborted && code !== EXIT.USAGE) code = EXIT.INTERRUPTED;
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`shipgate: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(3);
  },
);
