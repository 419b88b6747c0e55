import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { pingRedis, redisTarget } from '../../src/api/redis.mjs';

/**
 * A RESP speaker on a free loopback port that answers each PING with `reply` (or never answers).
 * @param {string | undefined} reply
 */
async function server(reply) {
  const srv = createServer((socket) => {
    socket.on('data', () => {
      if (reply !== undefined) socket.write(reply);
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (srv.address());
  after(() => new Promise((resolve) => srv.close(() => resolve(undefined))));
  return { host: '127.0.0.1', port: address.port, close: () => new Promise((resolve) => srv.close(() => resolve(undefined))) };
}

describe('redis', () => {
  test('reads where Redis is from REDIS_URL or REDIS_PORT, and nothing without them', () => {
    assert.equal(redisTarget({}), undefined);
    assert.equal(redisTarget({ REDIS_PORT: '' }), undefined);
    assert.deepEqual(redisTarget({ REDIS_PORT: '6390' }), { host: '127.0.0.1', port: 6390 });
    assert.deepEqual(redisTarget({ REDIS_URL: 'redis://127.0.0.1:6391' }), { host: '127.0.0.1', port: 6391 });
    assert.deepEqual(redisTarget({ REDIS_URL: 'redis://localhost' }), { host: 'localhost', port: 6379 });
  });

  test('rejects a REDIS_URL or REDIS_PORT it cannot use, saying why', () => {
    assert.throws(() => redisTarget({ REDIS_URL: 'http://127.0.0.1:6379' }), /must start with redis:\/\//);
    assert.throws(() => redisTarget({ REDIS_URL: 'redis://user:secret@127.0.0.1:6379' }), /credentials/);
    assert.throws(() => redisTarget({ REDIS_URL: 'not a url' }), /is not a URL/);
    for (const raw of ['x', '0', '70000']) assert.throws(() => redisTarget({ REDIS_PORT: raw }), /REDIS_PORT=.* is not a port number/, raw);
  });

  test('a PONG is up', async () => {
    const s = await server('+PONG\r\n');
    assert.equal(await pingRedis(s), true);
  });

  test('an error reply, silence and a closed port are down', async () => {
    const err = await server('-LOADING Redis is loading the dataset in memory\r\n');
    assert.equal(await pingRedis(err), false);
    const silent = await server(undefined);
    assert.equal(await pingRedis({ ...silent, timeoutMs: 200 }), false);
    const gone = await server('+PONG\r\n');
    await gone.close();
    assert.equal(await pingRedis(gone), false);
  });
});
