/**
 * The dashboard's HTTP surface (hono): pages, the JSON API under /api/, static files, run logs.
 * Read-only: only GET and HEAD are answered. Every response carries a strict CSP and no-sniff;
 * every error is a status with a stable code and a message, never a stack trace.
 */
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { ShipgateError, UsageError } from '../errors.js';
import type { Asset } from './assets.js';
import { hostOf, isLoopback, requestToken, TOKEN_COOKIE, tokenMatches } from './auth.js';
import { ServeError } from './errors.js';
import { openRunLog } from './logs.js';
import { deliveryPage, errorPage, flakyPage, releasesPage, runPage, runsPage, testPage, trendsPage } from './pages.js';
import { parseQuery, parseValue, type ParamSpec } from './query.js';
import { deliveryView, flakyView, releasesView, runView, runsView, testView, trendsView, type ServeContext } from './views.js';

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface AppOptions {
  /** Required on every request when set. */
  token?: string;
  /** The server listens on loopback only: the Host header must then name loopback (DNS rebinding). */
  loopback: boolean;
  /** Where an unexpected error's stack goes (the operator's terminal, never the response). */
  logError?: (err: unknown) => void;
}

const project: ParamSpec = { kind: 'text', max: 200 };
const SPECS = {
  runs: { project, branch: { kind: 'text', max: 200 }, version: { kind: 'text', max: 200 }, decision: { kind: 'enum', values: ['READY', 'BLOCKED'] }, before: { kind: 'name' }, limit: { kind: 'int', min: 1, max: 500 } },
  run: { project },
  trends: { project, branch: { kind: 'text', max: 200 }, limit: { kind: 'int', min: 2, max: 1000 } },
  flaky: { project, window: { kind: 'int', min: 1, max: 1000 }, limit: { kind: 'int', min: 1, max: 200 } },
  tests: { project, id: { kind: 'text', max: 2000 }, window: { kind: 'int', min: 1, max: 1000 } },
  delivery: { project, window: { kind: 'int', min: 1, max: 5000 } },
  releases: { project, limit: { kind: 'int', min: 1, max: 500 } },
  none: {},
} satisfies Record<string, Record<string, ParamSpec>>;

function query<K extends keyof typeof SPECS>(c: Context, view: K) {
  const params = new URL(c.req.url).searchParams;
  params.delete('token');
  return parseQuery(params, SPECS[view]);
}

function runId(c: Context): string {
  return parseValue('run id', c.req.param('id') ?? '', { kind: 'name' }) as string;
}

export function createApp(ctx: ServeContext, assets: Map<string, Asset>, opts: AppOptions): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.has('Content-Security-Policy')) c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') throw new ServeError('SERVE_READ_ONLY', `${c.req.method} is not allowed: the dashboard is read-only`);
    if (opts.loopback && !opts.token && !isLoopback(hostOf(c.req.header('host')))) {
      throw new ServeError('SERVE_FORBIDDEN_HOST', 'this dashboard listens on loopback and answers only requests addressed to it', 'open it as http://127.0.0.1:PORT/');
    }
    if (opts.token) {
      const fromQuery = new URL(c.req.url).searchParams.get('token') ?? undefined;
      if (fromQuery !== undefined && tokenMatches(fromQuery, opts.token) && !c.req.path.startsWith('/api/')) {
        // A page opened with ?token=…: keep it in a cookie and take it out of the address bar.
        const url = new URL(c.req.url);
        url.searchParams.delete('token');
        c.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`);
        return c.redirect(`${url.pathname}${url.search}`, 303);
      }
      const given = fromQuery ?? requestToken(c.req.header('authorization'), c.req.header('cookie'));
      if (!tokenMatches(given, opts.token)) {
        throw new ServeError('SERVE_UNAUTHORIZED', given === undefined ? 'a token is required' : 'the token is wrong', 'send Authorization: Bearer TOKEN, or open /?token=TOKEN once');
      }
    }
    await next();
  });

  app.get('/static/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (!a) throw new ServeError('SERVE_NOT_FOUND', 'no such file');
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(new Uint8Array(a.body), 200, { 'Content-Type': a.type });
  });

  // The JSON API: one endpoint per view, the data the pages are rendered from.
  app.get('/api/runs', async (c) => c.json(await runsView(ctx, query(c, 'runs'))));
  app.get('/api/runs/:id', async (c) => c.json(await runView(ctx, query(c, 'run').project ?? ctx.project, runId(c))));
  app.get('/api/trends', async (c) => c.json(await trendsView(ctx, query(c, 'trends'))));
  app.get('/api/flaky', async (c) => c.json(await flakyView(ctx, query(c, 'flaky'))));
  app.get('/api/tests', async (c) => c.json(await testView(ctx, query(c, 'tests'))));
  app.get('/api/delivery', async (c) => c.json(await deliveryView(ctx, query(c, 'delivery'))));
  app.get('/api/releases', async (c) => c.json(await releasesView(ctx, query(c, 'releases'))));
  app.get('/api/store', async (c) => {
    query(c, 'none');
    return c.json({ kind: ctx.store.kind, bytes: await ctx.store.storeSize(), projects: await ctx.store.projects(), readOnly: true });
  });

  app.get('/', async (c) => c.html(runsPage(await runsView(ctx, query(c, 'runs')))));
  app.get('/runs/:id', async (c) => c.html(runPage(await runView(ctx, query(c, 'run').project ?? ctx.project, runId(c)))));
  app.get('/runs/:id/logs/:file', async (c) => {
    query(c, 'run');
    const log = await openRunLog(ctx.runsDir, runId(c), c.req.param('file'));
    if (!log) throw new ServeError('SERVE_NOT_FOUND', 'no such log in this run folder');
    return new Response(Readable.toWeb(log.stream) as ReadableStream, {
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': String(log.bytes),
        // A log is shown as text, whatever it holds.
        'Content-Security-Policy': "default-src 'none'; sandbox",
      },
    });
  });
  app.get('/trends', async (c) => c.html(trendsPage(await trendsView(ctx, query(c, 'trends')))));
  app.get('/flaky', async (c) => c.html(flakyPage(await flakyView(ctx, query(c, 'flaky')))));
  app.get('/tests', async (c) => c.html(testPage(await testView(ctx, query(c, 'tests')))));
  app.get('/delivery', async (c) => c.html(deliveryPage(await deliveryView(ctx, query(c, 'delivery')))));
  app.get('/releases', async (c) => c.html(releasesPage(await releasesView(ctx, query(c, 'releases')))));

  app.notFound((c) => fail(c, 404, 'SERVE_NOT_FOUND', 'no such page'));
  app.onError((err, c) => {
    if (err instanceof ServeError) {
      if (err.status === 401) c.header('WWW-Authenticate', 'Bearer realm="shipgate"');
      return fail(c, err.status, err.code, err.message, err.hint);
    }
    if (err instanceof URIError) return fail(c, 400, 'SERVE_BAD_QUERY', 'the address is not valid percent-encoding');
    if (err instanceof UsageError) return fail(c, 400, 'SERVE_BAD_QUERY', err.message, err.hint);
    if (err instanceof ShipgateError) return fail(c, 500, err.code, err.message, err.hint);
    opts.logError?.(err);
    return fail(c, 500, 'SERVE_INTERNAL', 'internal error (details are in the server output)');
  });
  return app;
}

function fail(c: Context, status: 400 | 401 | 403 | 404 | 405 | 500, code: string, message: string, hint?: string): Response {
  if (c.req.path.startsWith('/api/') || !(c.req.header('accept') ?? '').includes('text/html')) {
    return c.json({ error: { code, message, ...(hint ? { hint } : {}) } }, status);
  }
  return c.html(errorPage(status, code, message, ctx(c)), status);
}

function ctx(c: Context): string {
  return new URL(c.req.url).searchParams.get('project')?.slice(0, 200) ?? '';
}
