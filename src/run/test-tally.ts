/**
 * One gate attempt's tests, as they stream from the parser: everything the decision and the store
 * need, and nothing more. A million-test report is never held as a million objects:
 *
 * - counts of every test (`totals`, raw: before quarantine, which the judge applies);
 * - `kept`: the tests the decision needs whole — every failed, errored and flaky test, and passing
 *   tests whose key failed on this same commit and tree before (`badBefore`), so that newly-flaky
 *   detection still sees "passes now, failed on this commit" as well as the reverse;
 * - the requirement tally (requirements are judged as the tests go by);
 * - the compact log of every test (14 bytes each) that the store records.
 *
 * A test that passes now after failing in an earlier attempt of the gate (a `retry`) is marked
 * flaky here, before it is counted, with the earlier attempts added to its own.
 *
 * Tests of a report that fails part-way (truncated, malformed) are forgotten: `beginReport` marks
 * where the tally stood, `endReport(false)` goes back there.
 */
import type { RequirementConfig } from '../config/types.js';
import type { TestResult, TestTotals } from '../evidence/model.js';
import type { QuarantineMatch } from '../policy/quarantine.js';
import { RequirementTally } from '../policy/requirements.js';
import type { KeyTable } from '../store/key-table.js';
import { TestLog, type TestLogMark } from '../store/test-log.js';
import { redactText } from './redact.js';

export interface TallyOptions {
  /** The project keys are computed for (the store's project). */
  project: string;
  gate: string;
  requirements?: readonly RequirementConfig[];
  quarantined?: (id: string) => QuarantineMatch | undefined;
  /** Keys of tests that failed or errored in an earlier run on this commit and tree. */
  badBefore?: KeyTable;
  /**
   * Secret values to mask in each test's text before it is keyed, counted, kept or logged: test ids,
   * names and messages reach the store through the log, not through the (masked) outcome.
   */
  secrets?: readonly string[];
}

interface Mark {
  totals: TestTotals;
  kept: number;
  log: TestLogMark;
}

/**
 * Report text as the store can hold it: secrets masked, and NUL (which PostgreSQL text refuses, so
 * one test named with it would keep the whole run out of history) shown as U+FFFD on both backends.
 */
function clean(text: string, secrets: readonly string[]): string {
  const masked = redactText(text, secrets);
  return masked.includes('\u0000') ? masked.replaceAll('\u0000', '\uFFFD') : masked;
}

/** In place: the test is fresh from its parser and owned by the tally from here on. */
function maskTest(t: TestResult, secrets: readonly string[]): void {
  t.id = clean(t.id, secrets);
  t.suite = clean(t.suite, secrets);
  t.name = clean(t.name, secrets);
  if (t.message !== undefined) t.message = clean(t.message, secrets);
  if (t.file !== undefined) t.file = clean(t.file, secrets);
  if (t.source !== undefined) t.source = clean(t.source, secrets);
}

export function emptyTotals(): TestTotals {
  return { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0 };
}

export class TestTally {
  readonly totals: TestTotals = emptyTotals();
  /** Failed, errored and flaky tests, and passing tests that failed on this commit before. */
  readonly kept: TestResult[] = [];
  readonly log: TestLog;
  /** Undefined when the config has no requirements. */
  readonly requirements: RequirementTally | undefined;
  private pending: { mark: Mark; requirements: RequirementTally | undefined } | undefined;

  constructor(
    readonly opts: TallyOptions,
    /** From earlier attempts of this gate: the ids that failed or errored, and how many attempts there were. */
    private readonly earlier: { failed: ReadonlySet<string>; attempts: number } = { failed: new Set(), attempts: 0 },
  ) {
    this.log = new TestLog(opts.project);
    this.requirements = opts.requirements?.length ? new RequirementTally(opts.requirements, opts.quarantined) : undefined;
  }

  /** The tally for the gate's next attempt: tests that failed in this one or before and pass there are flaky. */
  nextAttempt(): TestTally {
    const failed = new Set(this.earlier.failed);
    for (const t of this.kept) if (t.status === 'failed' || t.status === 'error') failed.add(t.id);
    return new TestTally(this.opts, { failed, attempts: this.earlier.attempts + 1 });
  }

  /** Take one test (the tally may change it: a retried pass becomes flaky). */
  add(t: TestResult): void {
    maskTest(t, this.opts.secrets ?? []);
    if (this.earlier.attempts > 0 && t.status === 'passed' && this.earlier.failed.has(t.id)) {
      t.flaky = true;
      t.attempts += this.earlier.attempts;
    }
    const c = this.totals;
    c.total++;
    if (t.flaky) c.flaky++;
    const key = this.log.push(t);
    switch (t.status) {
      case 'passed':
        c.passed++;
        if (t.flaky || this.opts.badBefore?.has(key)) this.kept.push(t);
        break;
      case 'skipped':
        c.skipped++;
        if (t.flaky) this.kept.push(t);
        break;
      case 'failed':
        c.failed++;
        this.kept.push(t);
        break;
      default:
        c.errors++;
        this.kept.push(t);
    }
    const reqs = this.pending ? this.pending.requirements : this.requirements;
    reqs?.add(this.opts.gate, t);
  }

  /** A report starts: its tests count only if it ends well. */
  beginReport(): void {
    this.pending = {
      mark: { totals: { ...this.totals }, kept: this.kept.length, log: this.log.mark() },
      requirements: this.requirements && new RequirementTally(this.requirements.reqs, this.opts.quarantined),
    };
  }

  /** The report was read whole (`ok`): keep its tests; else forget every one of them. */
  endReport(ok: boolean): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (ok) {
      if (p.requirements) this.requirements?.merge(p.requirements);
      return;
    }
    Object.assign(this.totals, p.mark.totals);
    this.kept.length = p.mark.kept;
    this.log.rollback(p.mark.log);
  }

  /** Hooks for collectEvidence. */
  sink(): { onTest: (t: TestResult) => void; onReportStart: () => void; onReportEnd: (_path: string, ok: boolean) => void } {
    return {
      onTest: (t) => this.add(t),
      onReportStart: () => this.beginReport(),
      onReportEnd: (_path, ok) => this.endReport(ok),
    };
  }
}
