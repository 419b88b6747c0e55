// API_DELAY_MS: how much slower a build answers, for trying the canary gate on a slow release.

/**
 * @param {string | undefined} raw
 * @returns {number} milliseconds, 0 when unset or empty
 */
export function parseDelay(raw) {
  if (raw === undefined || raw === '') return 0;
  if (!/^[0-9]{1,5}$/.test(raw)) {
    throw new Error(`API_DELAY_MS=${JSON.stringify(raw)} is not a delay; use whole milliseconds, 0..99999`);
  }
  return Number(raw);
}
