/** Start the dashboard: an HTTP server on host:port over the app, and a way to stop it. */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { ShipgateError } from '../errors.js';
import { createApp } from './app.js';
import { loadAssets } from './assets.js';
import { isLoopback } from './auth.js';
import type { ServeContext } from './views.js';

/** Tokens shorter than this are refused: a guessable token on a reachable port is no protection. */
export const MIN_TOKEN_LENGTH = 16;

export interface ServeOptions {
  host: string;
  port: number;
  token?: string;
  logError?: (err: unknown) => void;
}

/** Refuses, before anything listens, what would expose the history: a non-loopback host without a (strong) token. */
export function checkServeOptions(o: { host: string; token?: string }): void {
  if (o.token !== undefined && o.token.length < MIN_TOKEN_LENGTH) {
    throw new ShipgateError('SERVE_TOKEN_WEAK', `the token is ${o.token.length} characters long; at least ${MIN_TOKEN_LENGTH} are required`, {
      hint: 'make one with: openssl rand -hex 24',
    });
  }
  if (!isLoopback(o.host) && o.token === undefined) {
    throw new ShipgateError('SERVE_TOKEN_REQUIRED', `serving on ${o.host} (not loopback) needs a token: anyone who can reach the port could read the history`, {
      hint: 'pass --token TOKEN or set SHIPGATE_SERVE_TOKEN (openssl rand -hex 24), or serve on 127.0.0.1',
    });
  }
}

export async function startServer(ctx: ServeContext, o: ServeOptions): Promise<{ url: string; close: () => Promise<void> }> {
  checkServeOptions(o);
  const app = createApp(ctx, loadAssets(), { token: o.token, loopback: isLoopback(o.host), logError: o.logError });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: o.host });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new ShipgateError('SERVE_LISTEN', `cannot listen on ${o.host}:${o.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`, {
          hint: 'pick another port with --port',
          cause: e,
        }),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) (server as { closeAllConnections(): void }).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
