/**
 * Errors a user can cause. Each carries a stable `code` (documented in the README) so scripts and
 * tests can key on it; only `src/cli/main.ts` turns them into exit codes.
 */

export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
}

export class ShipgateError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly location?: SourceLocation;

  constructor(code: string, message: string, opts: { hint?: string; location?: SourceLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.location = opts.location;
  }
}

/** One problem found in a configuration file. */
export interface ConfigIssue {
  code: string;
  message: string;
  /** Field path inside the document, e.g. `gates.api-e2e.timeout`. */
  path: string;
  location?: SourceLocation;
  hint?: string;
}

/** The configuration is wrong; every problem found is listed, nothing was run. Exit 2. */
export class ConfigError extends ShipgateError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const first = issues[0];
    super(first?.code ?? 'CONFIG_INVALID', formatIssues(issues), { location: first?.location, hint: first?.hint });
    this.issues = issues;
  }
}

/** Bad command-line usage. Exit 2. */
export class UsageError extends ShipgateError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, { hint });
  }
}

/** A report file could not be turned into evidence. The gate that declared it fails. */
export class EvidenceError extends ShipgateError {
  readonly file: string;
  constructor(
    code:
      | 'EVIDENCE_MISSING'
      | 'EVIDENCE_EMPTY'
      | 'EVIDENCE_UNREADABLE'
      | 'EVIDENCE_MALFORMED'
      | 'EVIDENCE_TRUNCATED'
      | 'EVIDENCE_INCOMPLETE'
      | 'EVIDENCE_STALE'
      | 'EVIDENCE_UNKNOWN_FORMAT'
      | 'EVIDENCE_UNSAFE'
      | 'EVIDENCE_TOO_LARGE',
    file: string,
    message: string,
    opts: { hint?: string; line?: number; col?: number; cause?: unknown } = {},
  ) {
    super(code, message, { hint: opts.hint, location: { file, line: opts.line, col: opts.col }, cause: opts.cause });
    this.file = file;
  }
}

/** The history store failed (cannot open, migrate, or write). */
export class StoreError extends ShipgateError {
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(code, message, opts);
  }
}

/** The run was interrupted by SIGINT/SIGTERM. Exit 130. */
export class InterruptedError extends ShipgateError {
  constructor(signal: string) {
    super('INTERRUPTED', `interrupted by ${signal}`);
  }
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  if (loc.line === undefined) return loc.file;
  return loc.col === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.col}`;
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues
    .map((i) => {
      const where = formatLocation(i.location);
      const head = `${where ? `${where}: ` : ''}${i.message}${i.path ? ` (at ${i.path})` : ''} [${i.code}]`;
      return i.hint ? `${head}\n  hint: ${i.hint}` : head;
    })
    .join('\n');
}
