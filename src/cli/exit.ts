/** Exit codes, and how errors map to them. Documented in the README. */
import { CommanderError } from 'commander';
import { ConfigError, InterruptedError, ShipgateError, formatLocation } from '../errors.js';
import { printable } from '../util/printable.js';

export const EXIT = {
  READY: 0,
  BLOCKED: 1,
  USAGE: 2,
  INTERNAL: 3,
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof InterruptedError) return EXIT.INTERRUPTED;
  if (error instanceof ShipgateError) return EXIT.USAGE;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT.USAGE;
  return EXIT.INTERNAL;
}

/** What the user reads when a command fails before a decision: code, place, what to do. */
export function describeError(error: unknown): string {
  // Messages quote what users and tools wrote (keys, paths, values): printed, never obeyed.
  return printable(describe(error), { multiline: true });
}

function describe(error: unknown): string {
  if (error instanceof ConfigError) {
    const n = error.issues.length;
    return `shipgate: configuration error${n > 1 ? `s (${n})` : ''}:\n${error.message}\nNothing was run.`;
  }
  if (error instanceof ShipgateError) {
    const where = formatLocation(error.location);
    return `shipgate: ${where ? `${where}: ` : ''}${error.message} [${error.code}]${error.hint ? `\n  hint: ${error.hint}` : ''}`;
  }
  if (error instanceof CommanderError) return '';
  const e = error as Error;
  return `shipgate: internal error: ${e?.stack ?? String(error)}\nPlease report this with the command you ran.`;
}
