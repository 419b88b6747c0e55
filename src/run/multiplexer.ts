/**
 * Fan one run out to many reporters. A reporter that throws is reported once on stderr and
 * dropped from that hook; it never breaks the run or the other reporters.
 */
import type { Reporter } from './reporter.js';

type Hook = keyof Reporter;

export function multiplex(reporters: Reporter[], onError: (hook: Hook, error: unknown) => void): Required<Reporter> {
  const call =
    <K extends Hook>(hook: K) =>
    async (...args: Parameters<NonNullable<Reporter[K]>>): Promise<void> => {
      for (const r of reporters) {
        const fn = r[hook] as ((...a: unknown[]) => unknown) | undefined;
        if (!fn) continue;
        try {
          await fn.apply(r, args);
        } catch (e) {
          onError(hook, e);
        }
      }
    };
  const callSync =
    <K extends Hook>(hook: K) =>
    (...args: Parameters<NonNullable<Reporter[K]>>): void => {
      for (const r of reporters) {
        const fn = r[hook] as ((...a: unknown[]) => unknown) | undefined;
        if (!fn) continue;
        try {
          const res = fn.apply(r, args);
          if (res instanceof Promise) res.catch((e: unknown) => onError(hook, e));
        } catch (e) {
          onError(hook, e);
        }
      }
    };
  return {
    onRunStart: call('onRunStart'),
    onGateStart: callSync('onGateStart'),
    onGateOutput: callSync('onGateOutput'),
    onGateEnd: callSync('onGateEnd'),
    onDecision: call('onDecision'),
    close: call('close'),
  };
}
