/** The words for gate statuses and test counts that every rendering of a decision uses. */
import type { GateVerdict, TestCounts } from './types.js';

export const STATUS_LABEL: Record<GateVerdict['status'], string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  info: 'INFO',
  skip: 'SKIP',
  'not-run': 'NOT RUN',
  pending: 'PENDING',
  cancelled: 'CANCELLED',
};

export function formatCounts(n: TestCounts | undefined): string {
  if (!n) return '';
  const executed = n.total - n.skipped;
  const extra: string[] = [];
  if (n.failed) extra.push(`${n.failed} failed`);
  if (n.errors) extra.push(`${n.errors} errors`);
  if (n.skipped) extra.push(`${n.skipped} skipped`);
  if (n.quarantined) extra.push(`${n.quarantined} quarantined`);
  if (n.flaky) extra.push(`${n.flaky} flaky`);
  return `(${n.passed}/${executed}${extra.length ? `, ${extra.join(', ')}` : ''})`;
}
