// Entry point of the API: `node src/api/main.mjs` (API_PORT, default 4100; DEMO_BREAK=1 breaks it;
// REDIS_URL or REDIS_PORT makes /health depend on Redis; API_DELAY_MS slows GET /api/items down).
import { readFileSync } from 'node:fs';
import { serve } from '../lib/listen.mjs';
import { parseDelay } from '../lib/delay.mjs';
import { parsePort } from '../lib/port.mjs';
import { createApiHandler } from './app.mjs';
import { pingRedis, redisTarget } from './redis.mjs';
import { resolveVersion } from './version.mjs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const broken = process.env.DEMO_BREAK === '1';
if (broken) console.warn('api: DEMO_BREAK=1 is set: GET /api/items will answer 500');

try {
  const redis = redisTarget(process.env);
  if (redis) console.log(`api: /health checks Redis at ${redis.host}:${redis.port}`);
  serve({
    label: 'api',
    port: parsePort(process.env.API_PORT, 4100, 'API_PORT'),
    handler: createApiHandler({
      name: pkg.name,
      version: resolveVersion(process.env, pkg),
      broken,
      delayMs: parseDelay(process.env.API_DELAY_MS),
      onError: (err) => console.error('api: unexpected error:', err),
      redisUp: redis && (() => pingRedis(redis)),
    }),
  });
} catch (err) {
  console.error(`api: ${/** @type {Error} */ (err).message}`);
  process.exitCode = 2;
}
