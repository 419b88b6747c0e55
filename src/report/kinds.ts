/** The report kinds `--report` accepts (a tiny module, so parsing flags loads no reporter). */
export const REPORT_KINDS = ['json', 'junit', 'markdown', 'html', 'codequality', 'github', 'gitlab', 'buildkite', 'azure'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export function isReportKind(kind: string): kind is ReportKind {
  return (REPORT_KINDS as readonly string[]).includes(kind);
}

export interface ReportTarget {
  kind: ReportKind;
  /** Absolute path, or undefined for the kind's default target. */
  path?: string;
  /** Asked for with --report (a failure is a failed output); false for a CI's default reporter. */
  requested: boolean;
}
