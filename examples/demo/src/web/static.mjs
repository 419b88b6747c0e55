// How the web server answers a path: pure decisions, unit tested; the server does the I/O.
// A single-page app owns its routes, so an unknown *page* path gets index.html (the app
// renders it), while an unknown *file* (anything under /assets/ or with an extension) is a
// real 404 — otherwise a missing script would come back as HTML and fail obscurely in the browser.

const TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
});

/**
 * @typedef {{ kind: 'file', file: string, fallback: boolean }
 *   | { kind: 'proxy' }
 *   | { kind: 'bad-request', reason: string }} StaticDecision
 *   `file` is relative to the public root, with forward slashes; `fallback` marks the SPA index.
 */

/**
 * @param {string} pathname the request path, still percent-encoded
 * @returns {StaticDecision}
 */
export function decideStatic(pathname) {
  if (pathname === '/api' || pathname.startsWith('/api/')) return { kind: 'proxy' };
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'bad-request', reason: 'malformed percent-encoding in the path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'bad-request', reason: 'invalid character in the path' };
  const segments = decoded.split('/').filter(Boolean);
  // Refuse rather than normalise: a path that climbs is never a legitimate asset request.
  if (segments.some((s) => s === '..' || s === '.')) return { kind: 'bad-request', reason: 'path segments "." and ".." are not allowed' };
  if (segments.length === 0) return { kind: 'file', file: 'index.html', fallback: false };
  const last = segments[segments.length - 1];
  const isFile = segments[0] === 'assets' || last.includes('.');
  if (isFile) return { kind: 'file', file: segments.join('/'), fallback: false };
  return { kind: 'file', file: 'index.html', fallback: true };
}

/** @param {string} file */
export function contentTypeFor(file) {
  const dot = file.lastIndexOf('.');
  const ext = dot === -1 ? '' : file.slice(dot).toLowerCase();
  return TYPES[/** @type {keyof typeof TYPES} */ (ext)] ?? 'application/octet-stream';
}

/**
 * Caching: the index must be revalidated on every load so a release shows at once; assets may
 * be cached briefly.
 * @param {string} file
 */
export function cacheControlFor(file) {
  return file.endsWith('.html') ? 'no-cache' : 'public, max-age=300';
}
