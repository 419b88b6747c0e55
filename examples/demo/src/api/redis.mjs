// Redis as an optional dependency of the API's /health: one PING over a fresh connection, bounded
// in time, in plain RESP over node:net (the demo needs Node.js only, no client library).
import { connect } from 'node:net';

const PING = '*1\r\n$4\r\nPING\r\n';

/**
 * True when Redis answered `+PONG` within `timeoutMs`; false when it refused, reset, stayed silent
 * (a paused server accepts connections and never answers) or said anything else.
 * @param {{ host: string, port: number, timeoutMs?: number }} target
 * @returns {Promise<boolean>}
 */
export function pingRedis({ host, port, timeoutMs = 500 }) {
  return new Promise((resolve) => {
    let reply = '';
    const socket = connect({ host, port });
    /** @param {boolean} ok */
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(PING));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG\r\n'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

/**
 * Where Redis is, from `REDIS_URL` (`redis://host:port`) or `REDIS_PORT` (on 127.0.0.1); undefined
 * when neither is set, and the API then runs without Redis exactly as before.
 * @param {Record<string, string | undefined>} env
 * @returns {{ host: string, port: number } | undefined}
 */
export function redisTarget(env) {
  const url = env.REDIS_URL;
  if (url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`REDIS_URL=${JSON.stringify(url)} is not a URL; use redis://127.0.0.1:6379`);
    }
    if (parsed.protocol !== 'redis:') throw new Error(`REDIS_URL must start with redis:// (got ${parsed.protocol})`);
    if (parsed.username || parsed.password) throw new Error('REDIS_URL with credentials is not supported: the demo only sends PING');
    return { host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : 6379 };
  }
  const port = env.REDIS_PORT;
  if (port === undefined || port === '') return undefined;
  if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new Error(`REDIS_PORT=${JSON.stringify(port)} is not a port number; use 1..65535`);
  }
  return { host: '127.0.0.1', port: Number(port) };
}
