// Ports come from the environment so that tests (and two runs at once) can choose their own.

/**
 * @param {string | undefined} raw
 * @param {number} fallback
 * @param {string} name the environment variable, for the error message
 */
export function parsePort(raw, fallback, name) {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) > 65535) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a port number; use 0..65535 (0 picks a free port)`);
  }
  return Number(raw);
}
