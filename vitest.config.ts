import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Files whose verdicts depend on how much CPU they get (load rates, latency percentiles, canary
 * statistics, soak slopes, the demo's perf gates), that signal and count real processes, or that
 * fill memory and disk (a million tests, a 100,000-gate chain, eight processes racing for a
 * store). They run one at a time, after the rest, so nothing else competes with them — as every
 * file did when the whole suite ran in one worker.
 */
const SERIAL = [
  'test/e2e/demo.test.ts',
  'test/e2e/chaos.test.ts',
  'test/e2e/canary.test.ts',
  'test/e2e/canary-prometheus.test.ts',
  'test/e2e/soak.test.ts',
  'test/e2e/load.test.ts',
  'test/e2e/prometheus.test.ts',
  'test/e2e/slo.test.ts',
  'test/e2e/rollout.test.ts',
  'test/e2e/trust-fresh.test.ts',
  'test/e2e/containment.test.ts',
  'test/e2e/containment-signals.test.ts',
  'test/e2e/processes.test.ts',
  'test/e2e/ports.test.ts',
  'test/e2e/store-faults.test.ts',
  'test/e2e/identifiers.test.ts',
  'test/e2e/history-huge.test.ts',
  'test/evidence-big-reports.test.ts',
  'test/store/concurrency.test.ts',
  'src/checks/load.test.ts',
  'src/checks/canary.test.ts',
  'src/checks/canary-http.test.ts',
  'src/checks/prometheus.test.ts',
  'src/run/containment.test.ts',
  'src/run/process.test.ts',
  'src/run/process-hurry.test.ts',
  'src/run/services.test.ts',
  'src/run/service-faults.test.ts',
  'src/run/watchdog.test.ts',
  'src/run/spawner.test.ts',
  'test/e2e/spawner.test.ts',
];

// A misspelt or moved entry would be left out of both projects and silently never run.
const missing = SERIAL.filter((f) => !existsSync(new URL(f, import.meta.url)));
if (missing.length > 0) throw new Error(`vitest.config.ts: SERIAL names files that do not exist: ${missing.join(', ')}`);

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        // Everything else runs two files at a time (vitest's default on two cores is one).
        test: { name: 'parallel', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: SERIAL, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'serial', include: SERIAL, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
