/**
 * GitLab CI: the two reports GitLab shows natively — JUnit XML (`artifacts:reports:junit`, the
 * merge request's test widget and the pipeline's Tests tab) and Code Quality JSON
 * (`artifacts:reports:codequality`) — written to stable paths the job's `.gitlab-ci.yml` can name:
 * `.shipgate/reports/junit.xml` and `.shipgate/reports/codequality.json` (or PATH/… for a folder).
 */
import { resolve } from 'node:path';
import { safeWriteFile } from '../run/safe-write.js';
import { formatCodeQuality } from './codequality.js';
import { formatJunit } from './junit.js';
import type { Reporter } from './reporter.js';
import type { SinkContext } from './sinks.js';

export function gitlabPaths(dir: string | undefined, ctx: SinkContext): { junit: string; codequality: string } {
  const base = dir ?? resolve(ctx.rootDir, '.shipgate', 'reports');
  return { junit: resolve(base, 'junit.xml'), codequality: resolve(base, 'codequality.json') };
}

export function gitlabReporter(dir: string | undefined, ctx: SinkContext): Reporter {
  return {
    async onDecision(d) {
      const paths = gitlabPaths(dir, ctx);
      await safeWriteFile(paths.junit, formatJunit(d));
      // GitLab links findings to files by their path in the repository (CI_PROJECT_DIR is the checkout).
      await safeWriteFile(paths.codequality, formatCodeQuality(d, { root: ctx.env.CI_PROJECT_DIR || ctx.rootDir }));
    },
  };
}
