// The release-notes API as a plain node:http request handler.
import { HttpError, readJsonBody, sendJson } from '../lib/http.mjs';
import { createItemStore, KINDS, validateNewItem } from './items.mjs';
import { createMetrics } from './metrics.mjs';
import { parseId, resolveRoute } from './router.mjs';

const BODY_LIMIT = 16 * 1024;

/**
 * @param {{ name: string, version: string, broken?: boolean, delayMs?: number, startedAt?: Date, onError?: (err: unknown) => void, redisUp?: () => Promise<boolean> }} options
 *   `broken` is the demo's break switch (DEMO_BREAK=1): listing items fails, as a bad deploy would.
 *   `delayMs` makes listing items that much slower, as a slower build would (API_DELAY_MS).
 *   `onError` hears about unexpected errors (the client only sees a generic 500).
 *   `redisUp`, when given, is asked on every /health: without Redis the API still answers (200,
 *   `status: degraded`), and says `ok` again as soon as Redis answers again.
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function createApiHandler({ name, version, broken = false, delayMs = 0, startedAt = new Date(), onError = () => {}, redisUp }) {
  const store = createItemStore();
  const metrics = createMetrics();

  /** @type {import('./router.mjs').Route[]} */
  const routes = [
    {
      method: 'GET',
      pattern: '/health',
      handler: async (_req, res) => {
        const uptimeSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
        if (!redisUp) return sendJson(res, 200, { status: 'ok', uptimeSeconds });
        const up = await redisUp();
        sendJson(res, 200, { status: up ? 'ok' : 'degraded', redis: up ? 'up' : 'down', uptimeSeconds });
      },
    },
    {
      method: 'GET',
      pattern: '/metrics',
      handler: (req, res) => {
        const body = metrics.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
    },
    { method: 'GET', pattern: '/api/version', handler: (_req, res) => sendJson(res, 200, { name, version }) },
    {
      method: 'GET',
      pattern: '/api/items',
      handler: async (_req, res, _params, url) => {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (broken) throw new HttpError(500, 'store-unavailable', 'the item store is unavailable (DEMO_BREAK=1 is set)');
        const kind = url.searchParams.get('kind');
        if (kind !== null && !KINDS.includes(kind)) {
          throw new HttpError(400, 'invalid-query', `kind must be one of ${KINDS.join(', ')}`);
        }
        const items = store.list(kind ? { kind } : {});
        sendJson(res, 200, { items, count: items.length });
      },
    },
    {
      method: 'POST',
      pattern: '/api/items',
      handler: async (req, res) => {
        const result = validateNewItem(await readJsonBody(req, BODY_LIMIT));
        if (!result.ok) throw new HttpError(400, 'invalid-item', 'the item is not valid', result.errors);
        const item = store.add(result.value);
        sendJson(res, 201, item, { location: `/api/items/${item.id}` });
      },
    },
    {
      method: 'GET',
      pattern: '/api/items/:id',
      handler: (_req, res, params) => {
        const id = parseId(params.id);
        const item = id === null ? undefined : store.get(id);
        if (!item) throw new HttpError(404, 'item-not-found', `no item with id ${JSON.stringify(params.id)}`);
        sendJson(res, 200, item);
      },
    },
  ];

  return async (req, res) => {
    const started = process.hrtime.bigint();
    let routeLabel = 'unmatched';
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe({ route: routeLabel, method: req.method ?? 'GET', status: res.statusCode, seconds });
    });
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = resolveRoute(routes, req.method ?? 'GET', url.pathname);
      if (route.kind === 'match') routeLabel = route.pattern;
      if (route.kind === 'not-found') throw new HttpError(404, 'not-found', `no route for ${url.pathname}`);
      if (route.kind === 'method-not-allowed') {
        const message = `${req.method} is not allowed on ${url.pathname}; use ${route.allow.join(', ')}`;
        sendJson(res, 405, { error: { code: 'method-not-allowed', message } }, { allow: route.allow.join(', ') });
        return;
      }
      await /** @type {Function} */ (route.handler)(req, res, route.params, url);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: { code: err.code, message: err.message, details: err.details } });
        return;
      }
      onError(err);
      sendJson(res, 500, { error: { code: 'internal', message: 'unexpected server error' } });
    }
  };
}
