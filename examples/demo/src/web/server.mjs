// The front-end server: static files with SPA fallback, and /api/* forwarded to the API so the
// page can call it on the same origin (as a production reverse proxy would).
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { cacheControlFor, contentTypeFor, decideStatic } from './static.mjs';

/**
 * @param {{ root: string, apiUrl: string }} options
 * @returns {import('node:http').RequestListener}
 */
export function createWebHandler({ root, apiUrl }) {
  const api = new URL(apiUrl);
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const decision = decideStatic(url.pathname);
    if (decision.kind === 'proxy') return forward(req, res, api);
    if (decision.kind === 'bad-request') return sendText(res, 400, `Bad request: ${decision.reason}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'Only GET and HEAD are served here.\n');
    }
    let body;
    try {
      body = await readFile(join(root, ...decision.file.split('/')));
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return sendText(res, 404, `Not found: ${url.pathname}\n`);
      return sendText(res, 500, 'Could not read the file.\n');
    }
    res.writeHead(200, {
      'content-type': contentTypeFor(decision.file),
      'content-length': body.length,
      'cache-control': cacheControlFor(decision.file),
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {URL} api
 */
function forward(req, res, api) {
  const upstream = request(
    { hostname: api.hostname, port: api.port, path: req.url, method: req.method, headers: { ...req.headers, host: api.host } },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    if (res.headersSent) return res.destroy();
    const body = JSON.stringify({ error: { code: 'api-unreachable', message: `the API at ${api.origin} did not answer: ${err.message}` } });
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  req.pipe(upstream);
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {string} text */
function sendText(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
