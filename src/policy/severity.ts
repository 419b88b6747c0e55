import type { Severity } from '../config/types.js';

/** What a failure is called under a severity: it fails only when blocking; otherwise it warns or informs. */
export function failedStatus(severity: Severity): 'fail' | 'warn' | 'info' {
  return severity === 'block' ? 'fail' : severity;
}
