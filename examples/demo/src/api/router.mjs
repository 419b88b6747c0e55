// A tiny router: patterns like "/api/items/:id", matched per method. Pure, so the 404/405
// distinction (unknown path vs. known path with the wrong method) is unit tested.

/**
 * @typedef {{ method: string, pattern: string, handler: unknown }} Route
 * @typedef {{ kind: 'match', handler: unknown, params: Record<string, string>, pattern: string }
 *   | { kind: 'method-not-allowed', allow: string[] }
 *   | { kind: 'not-found' }} RouteResult
 */

/**
 * Match a path against a pattern; returns the named parameters or null.
 * @param {string} pattern
 * @param {string} pathname
 * @returns {Record<string, string> | null}
 */
export function matchPattern(pattern, pathname) {
  const want = pattern.split('/').filter(Boolean);
  const got = pathname.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  /** @type {Record<string, string>} */
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      let value;
      try {
        value = decodeURIComponent(got[i]);
      } catch {
        return null; // malformed percent-encoding cannot name anything
      }
      params[want[i].slice(1)] = value;
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}

/**
 * @param {Route[]} routes
 * @param {string} method
 * @param {string} pathname
 * @returns {RouteResult}
 */
export function resolveRoute(routes, method, pathname) {
  /** @type {string[]} */
  const allow = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, pathname);
    if (!params) continue;
    // HEAD is answered by the GET handler, as HTTP requires.
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
      return { kind: 'match', handler: route.handler, params, pattern: route.pattern };
    }
    allow.push(route.method);
  }
  if (allow.length > 0) return { kind: 'method-not-allowed', allow: [...new Set(allow)].sort() };
  return { kind: 'not-found' };
}

/**
 * Parse a positive integer id from a path parameter; null when it is not one.
 * @param {string} raw
 */
export function parseId(raw) {
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) return null;
  return Number(raw);
}
