/**
 * Quarantine: tests whose failure must not block a release for a while. A quarantined test still
 * runs and is recorded; only its failure is exempted, and only until its `until` date — after
 * that the same rule is still reported (so the summary can say when it expired) but exempts nothing.
 */
import type { QuarantineEntry } from '../config/types.js';
import { untilInstant, validateUntil } from '../config/values.js';
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


export { untilInstant, validateUntil };

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
