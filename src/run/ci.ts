/**
 * Is this a CI run, and which CI? Recognised the way the ecosystem does it: the vendor list of the
 * `ci-info` package (Jenkins, TeamCity, Azure Pipelines, Buildkite, GitLab, CircleCI, GitHub
 * Actions, …), so `when: ci` gates run in every CI, not only where `$CI` is set. ci-info itself
 * reads `process.env` once, when loaded; shipgate judges the environment it is given (a library
 * caller's, a test's), so the same vendor list is matched here against that environment, with the
 * same rules ci-info applies.
 */
// Imported, not read at run time: bundled into the CLI, the list costs nothing to find and parse.
import vendorList from 'ci-info/vendors.json' with { type: 'json' };

type EnvSpec = string | { env: string; includes: string } | { any: string[] } | Record<string, string>;

interface Vendor {
  name: string;
  constant: string;
  env: EnvSpec | EnvSpec[];
}

const vendors = vendorList as Vendor[];

/** Variables that say "CI" whatever the vendor (ci-info's vendor-neutral list). */
const NEUTRAL = ['BUILD_ID', 'BUILD_NUMBER', 'CI', 'CI_APP_ID', 'CI_BUILD_ID', 'CI_BUILD_NUMBER', 'CI_NAME', 'CONTINUOUS_INTEGRATION', 'RUN_ID'];

function matches(spec: EnvSpec, env: NodeJS.ProcessEnv): boolean {
  if (typeof spec === 'string') return !!env[spec];
  if ('env' in spec && 'includes' in spec) return !!env[spec.env as string]?.includes(spec.includes as string);
  if ('any' in spec && Array.isArray(spec.any)) return spec.any.some((k) => !!env[k]);
  return Object.entries(spec as Record<string, string>).every(([k, v]) => env[k] === v);
}

/** `CI=false` (or `0`, or empty) says "not CI" whatever else is set: a developer reproducing a CI job locally. */
function optedOut(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && (v === '' || v === '0' || v.toLowerCase() === 'false');
}

/** The CI vendor this environment belongs to (ci-info's constant, e.g. `GITHUB_ACTIONS`), or undefined. */
export function ciVendor(env: NodeJS.ProcessEnv): { constant: string; name: string } | undefined {
  if (optedOut(env)) return undefined;
  for (const v of vendors) {
    const specs = Array.isArray(v.env) ? v.env : [v.env];
    if (specs.every((s) => matches(s, env))) return { constant: v.constant, name: v.name };
  }
  return undefined;
}

/** Every variable CI detection looks at: what a hermetic test removes so the host's CI never decides it. */
export function ciDetectionVariables(): string[] {
  const names = new Set(NEUTRAL);
  const add = (spec: EnvSpec) => {
    if (typeof spec === 'string') names.add(spec);
    else if ('env' in spec && 'includes' in spec) names.add(spec.env as string);
    else if ('any' in spec && Array.isArray(spec.any)) for (const k of spec.any) names.add(k);
    else for (const k of Object.keys(spec)) names.add(k);
  };
  for (const v of vendors) for (const s of Array.isArray(v.env) ? v.env : [v.env]) add(s);
  return [...names];
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  if (optedOut(env)) return false;
  return ciVendor(env) !== undefined || NEUTRAL.some((k) => !!env[k]);
}
