/**
 * The environment a run's processes start from, and what is masked in everything the run writes.
 *
 * The history store's credentials are shipgate's, not the gates': `SHIPGATE_DATABASE_URL` and every
 * variable `store.url` reads are taken out of the environment gates, services and publish steps
 * get (a gate that needs one names it in its own `env:`). Their values stay among the secrets, so
 * a tool that learned them elsewhere still cannot print them.
 */
import type { Config, ServiceConfig } from '../config/types.js';
import { secretValues } from './redact.js';

const STORE_URL_VAR = 'SHIPGATE_DATABASE_URL';

/** The variables that carry the history store's location and credentials. */
export function storeVariables(config: Pick<Config, 'store'>): string[] {
  const names = new Set([STORE_URL_VAR]);
  for (const m of (config.store.url ?? '').matchAll(/\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
  return [...names];
}

export interface RunEnv {
  /** What every gate, service and step starts from. */
  childEnv: Record<string, string>;
  /** The secret values, longest first (see redact.ts). */
  secrets: string[];
}

export function runEnv(
  config: Pick<Config, 'store' | 'secrets' | 'gates'> & { services: Record<string, Pick<ServiceConfig, 'env'>> },
  env: NodeJS.ProcessEnv,
  extraSecretNames: readonly string[] = [],
): RunEnv {
  const withheld = new Set(storeVariables(config));
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !withheld.has(k)) childEnv[k] = v;
  const names = [...config.secrets, ...extraSecretNames, ...withheld];
  // Values a gate or service sets itself (`env: { TOKEN: … }`) are as secret as inherited ones.
  const declared: Record<string, string | undefined>[] = [
    ...Object.values(config.gates).map((g) => g.env ?? {}),
    ...Object.values(config.services).map((s) => s.env ?? {}),
  ];
  const values = new Set(secretValues(env, { names }));
  for (const e of declared) for (const v of secretValues(e, { names })) values.add(v);
  return { childEnv, secrets: [...values].sort((a, b) => b.length - a.length) };
}
