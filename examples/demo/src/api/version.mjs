// The version the API reports: the release being gated (SHIPGATE_VERSION, set by shipgate for
// every command and service) wins over package.json, so a probe can check what is really deployed.

/**
 * @param {Record<string, string | undefined>} env
 * @param {{ version?: unknown }} pkg
 */
export function resolveVersion(env, pkg) {
  const fromEnv = env.SHIPGATE_VERSION?.trim();
  if (fromEnv) return fromEnv;
  if (typeof pkg.version === 'string' && pkg.version.length > 0) return pkg.version;
  return '0.0.0-unknown';
}
