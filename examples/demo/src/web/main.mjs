// Entry point of the front end: `node src/web/main.mjs` (WEB_PORT, default 4180; API_URL, default
// http://127.0.0.1:4100).
import { fileURLToPath } from 'node:url';
import { serve } from '../lib/listen.mjs';
import { parsePort } from '../lib/port.mjs';
import { createWebHandler } from './server.mjs';

const root = fileURLToPath(new URL('../../public/', import.meta.url));
const apiUrl = process.env.API_URL || 'http://127.0.0.1:4100';

try {
  new URL(apiUrl); // fail at start, not on the first proxied request
  serve({ label: 'web', port: parsePort(process.env.WEB_PORT, 4180, 'WEB_PORT'), handler: createWebHandler({ root, apiUrl }) });
} catch (err) {
  console.error(`web: ${/** @type {Error} */ (err).message} (check WEB_PORT and API_URL)`);
  process.exitCode = 2;
}
