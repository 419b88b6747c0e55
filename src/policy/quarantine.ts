/**
 * Quarantine: tests whose failure must not block a release for a while. A quarantined test still
 * runs and is recorded; only its failure is exempted, and only until its `until` date — after
 * that the same rule is still reported (so the summary can say when it expired) but exempts nothing.
 */
import type { QuarantineEntry } from '../config/types.js';
import { testPatternMatcher } from '../evidence/testid.js';

export interface QuarantineRule {
  tests: string[];
  reason: string;
  until?: string;
  origin: 'config' | 'store';
  /** Store id, for `shipgate quarantine remove`. */
  id?: string;
}

export interface QuarantineMatch {
  rule: QuarantineRule;
  expired: boolean;
  /** When the rule stops (stopped) applying, ISO; absent for a rule without `until`. */
  expiresAt?: string;
}

export function rulesFromConfig(entries: readonly QuarantineEntry[]): QuarantineRule[] {
  return entries.map((e) => ({ tests: [...e.tests], reason: e.reason, until: e.until, origin: 'config' as const }));
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The instant a rule's `until` ends. A bare date means "through that day" (UTC), so
 * `until: 2026-03-01` still exempts on March 1st and blocks from March 2nd. Returns undefined for
 * text that is not a date — config validation reports it; the matcher treats it as expired.
 */
export function untilInstant(until: string): Date | undefined {
  const m = DATE_ONLY.exec(until.trim());
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
    // Date.UTC rolls 2026-02-30 into March; a rolled date is a typo, not a date.
    const check = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (check.getUTCMonth() !== Number(m[2]) - 1 || check.getUTCDate() !== Number(m[3])) return undefined;
    return d;
  }
  // Only full ISO timestamps: Date.parse accepts many loose forms we do not want to guess at.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(until.trim())) return undefined;
  const t = Date.parse(until);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** A message for a bad `until`, or undefined when it is a usable date. */
export function validateUntil(until: string): string | undefined {
  return untilInstant(until)
    ? undefined
    : `"${until}" is not a date; write YYYY-MM-DD (quarantined through that day, UTC) or a full ISO timestamp with zone`;
}

/**
 * A lookup from test id to the rule that quarantines it. When several rules match, one still in
 * force wins over an expired one, so an expired config entry cannot shadow a fresh store entry.
 */
export function quarantineMatcher(rules: readonly QuarantineRule[], now: Date): (testId: string) => QuarantineMatch | undefined {
  const compiled = rules.map((rule) => {
    const end = rule.until === undefined ? undefined : untilInstant(rule.until);
    const expired = rule.until !== undefined && (end === undefined || now.getTime() >= end.getTime());
    return { rule, expired, expiresAt: end?.toISOString(), matchers: rule.tests.map((p) => testPatternMatcher(p)) };
  });
  return (testId: string) => {
    let expiredMatch: QuarantineMatch | undefined;
    for (const c of compiled) {
      if (!c.matchers.some((m) => m(testId))) continue;
      const match: QuarantineMatch = { rule: c.rule, expired: c.expired, expiresAt: c.expiresAt };
      if (!c.expired) return match;
      expiredMatch ??= match;
    }
    return expiredMatch;
  };
}

/** True when a test's failure is exempted: a matching rule that has not expired. */
export function isExempt(match: QuarantineMatch | undefined): boolean {
  return match !== undefined && !match.expired;
}

/** One line for summaries: why a test is (or no longer is) quarantined. */
export function describeQuarantine(match: QuarantineMatch): string {
  const where = match.rule.origin === 'store' ? `store${match.rule.id ? ` #${match.rule.id}` : ''}` : 'config';
  if (match.expired) {
    return match.expiresAt
      ? `quarantine expired (until ${match.rule.until}), blocking again (${match.rule.reason}; ${where})`
      : `quarantine has an unreadable until "${match.rule.until}", blocking (${match.rule.reason}; ${where})`;
  }
  return `QUARANTINED: ${match.rule.reason}${match.rule.until ? ` (until ${match.rule.until})` : ''} [${where}]`;
}
