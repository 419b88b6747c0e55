/** The reporter interface is what the run stage calls, so it lives in `run/reporter.ts`; kept here so existing imports keep working. */
export type * from '../run/reporter.js';
