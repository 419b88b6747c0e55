import { resolve } from 'node:path';
import type { Decision } from '../../decide/types.js';
import { jsonFileReporter, jsonStreamReporter } from '../../report/json.js';
import type { Reporter } from '../../report/reporter.js';
import { terminalReporter } from '../../report/terminal.js';
import { run } from '../../run/run.js';
import { useColor, type CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { printable } from '../../util/printable.js';
import { ciMode, parseConcurrency, parseReports, parseSecretNames } from '../options.js';

export interface RunFlags {
  config?: string;
  with?: string[];
  skip?: string[];
  only?: string[];
  strict?: boolean;
  ci?: boolean;
  local?: boolean;
  concurrency?: string;
  failFast?: boolean;
  json?: boolean;
  report?: string[];
  history?: boolean;
  requireClean?: boolean;
  publish?: boolean;
  secret?: string[];
}

export function exitCodeForDecision(d: Decision): number {
  if (d.interrupted) return EXIT.INTERRUPTED;
  // Asked to publish and it did not happen (refused or a step failed): not a success.
  if (d.publish && d.publish.status !== 'done') return EXIT.BLOCKED;
  return d.result === 'READY' ? EXIT.READY : EXIT.BLOCKED;
}

export async function runCommand(version: string | undefined, flags: RunFlags, ctx: CliContext): Promise<number> {
  const ci = ciMode(flags, ctx.env);
  const concurrency = parseConcurrency(flags.concurrency);
  const reports = parseReports(flags.report);
  const secrets = parseSecretNames(flags.secret);
  // With --json, stdout carries only the decision; the human view goes to stderr.
  const human = flags.json ? ctx.stderr : ctx.stdout;
  const reporters: Reporter[] = [
    terminalReporter({ stream: human, color: useColor(human, ctx.env), live: !!human.isTTY && !ci }),
    ...reports.map((r) => jsonFileReporter(resolve(ctx.cwd, r.path))),
  ];
  if (flags.json) reporters.push(jsonStreamReporter(ctx.stdout));
  // An output the user asked for that could not be written is not a success, whatever the decision.
  let outputFailed = false;
  const decision = await run({
    cwd: ctx.cwd,
    configFile: flags.config,
    version,
    ci,
    with: flags.with,
    skip: flags.skip,
    only: flags.only,
    strict: flags.strict,
    concurrency,
    failFast: flags.failFast,
    reporters,
    signal: ctx.signal,
    history: flags.history,
    requireClean: flags.requireClean,
    publish: flags.publish,
    secrets,
    env: ctx.env,
    onReporterError: (hook, e) => {
      outputFailed = true;
      const code = (e as { code?: string }).code;
      ctx.stderr.write(`shipgate: a reporter failed in ${hook}: ${printable((e as Error).message)}${code ? ` [${code}]` : ''} (the decision is unchanged)\n`);
    },
  });
  const code = exitCodeForDecision(decision);
  return outputFailed && code === EXIT.READY ? EXIT.USAGE : code;
}
