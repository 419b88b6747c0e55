/**
 * The TCP fault proxy with real sockets on 127.0.0.1: an echo server behind it that counts what
 * reaches it. Latency is shown by order (a direct echo sent at the same moment comes back first)
 * and by counters, with only a lower bound on time (a loaded machine only makes things slower).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/fixtures/run/helpers.js';
import type { FaultProxy } from '../checks/kind.js';
import { openFaultProxy } from './fault-proxy.js';

interface Echo {
  server: Server;
  port: number;
  /** Connections and bytes that reached the service. */
  seen: { connections: number; bytes: number };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function echo(): Promise<Echo> {
  const seen = { connections: 0, bytes: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    seen.connections++;
    sockets.add(s);
    s.on('data', (c) => {
      seen.bytes += c.length;
      s.write(c);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { server, port: (server.address() as { port: number }).port, seen };
}

async function proxyTo(target: Echo): Promise<FaultProxy> {
  const proxy = await openFaultProxy({ listen: await freePort(), to: target.port });
  cleanup.push(() => proxy.close());
  return proxy;
}

/** A client with everything it received and how it ended. */
interface Client {
  socket: Socket;
  received: () => string;
  error: Promise<NodeJS.ErrnoException | undefined>;
  closed: Promise<void>;
}

async function client(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port });
  let got = '';
  socket.setEncoding('utf8').on('data', (c: string) => (got += c));
  let onError!: (e: NodeJS.ErrnoException | undefined) => void;
  const error = new Promise<NodeJS.ErrnoException | undefined>((r) => (onError = r));
  socket.on('error', (e) => onError(e));
  const closed = new Promise<void>((r) => socket.once('close', () => (onError(undefined), r())));
  cleanup.push(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => got, error, closed };
}

/** Poll (bounded) until `cond` holds: a wait, never a measurement. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('fault proxy', () => {
  it('passes bytes both ways while no fault is set', async () => {
    const target = await echo();
    const proxy = await proxyTo(target);
    const c = await client(proxy.listen);
    c.socket.write('hello');
    await until(() => c.received() === 'hello', 'the echo');
    expect(target.seen).toEqual({ connections: 1, bytes: 5 });
    expect(proxy.stats()).toMatchObject({ connections: 1, reset: 0, dropped: 0, delayedChunks: 0 });
  });

  it('latency: a proxied echo comes back after a direct one sent at the same moment, at least the delay each way later', async () => {
    const target = await echo();
    const proxy = await proxyTo(target);
    const slow = await client(proxy.listen);
    const fast = await client(target.port);
    proxy.set({ kind: 'latency', delayMs: 300 });
    const order: string[] = [];
    slow.socket.on('data', () => order.push('proxied'));
    fast.socket.on('data', () => order.push('direct'));
    const t0 = Date.now();
    slow.socket.write('a');
    fast.socket.write('b');
    await until(() => slow.received() === 'a', 'the proxied echo');
    // Delays only add: the lower bound holds on any machine.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    expect(order).toEqual(['direct', 'proxied']);
    expect(proxy.stats().delayedChunks).toBe(2);
  });

  it('latency keeps the order of a stream when it ends mid-stream', async () => {
    const target = await echo();
    const proxy = await proxyTo(target);
    const c = await client(proxy.listen);
    proxy.set({ kind: 'latency', delayMs: 200 });
    c.socket.write('first,');
    await until(() => proxy.stats().delayedChunks >= 1, 'the first chunk to be held');
    proxy.set(undefined);
    c.socket.write('second');
    await until(() => c.received().length === 'first,second'.length, 'both echoes');
    expect(c.received()).toBe('first,second');
  });

  it('reset: open connections see ECONNRESET, new ones are reset at once, and after the fault connections work again', async () => {
    const target = await echo();
    const proxy = await proxyTo(target);
    const open = await client(proxy.listen);
    open.socket.write('x');
    await until(() => open.received() === 'x', 'the first echo');
    proxy.set({ kind: 'reset' });
    expect((await open.error)?.code).toBe('ECONNRESET');
    // The kernel completes the handshake, the proxy answers it with RST: the client may see the
    // reset before or after its own 'connect'.
    const during = connect({ host: '127.0.0.1', port: proxy.listen });
    cleanup.push(() => void during.destroy());
    expect(await new Promise<string | undefined>((r) => during.once('error', (e: NodeJS.ErrnoException) => r(e.code)))).toBe('ECONNRESET');
    expect(target.seen.connections).toBe(1);
    proxy.set(undefined);
    const afterwards = await client(proxy.listen);
    afterwards.socket.write('y');
    await until(() => afterwards.received() === 'y', 'the echo after the fault');
    expect(proxy.stats().reset).toBe(2);
  });

  it('drop: bytes never reach the service, new connections are held without it, and what lived through the drop is closed when it ends', async () => {
    const target = await echo();
    const proxy = await proxyTo(target);
    const open = await client(proxy.listen);
    open.socket.write('1');
    await until(() => open.received() === '1', 'the first echo');
    proxy.set({ kind: 'drop' });
    open.socket.write('lost');
    const held = await client(proxy.listen);
    held.socket.write('lost too');
    await until(() => proxy.stats().dropped >= 2, 'both chunks to be dropped');
    expect(target.seen).toEqual({ connections: 1, bytes: 1 });
    expect(open.received()).toBe('1');
    expect(held.received()).toBe('');
    proxy.set(undefined);
    await Promise.all([open.closed, held.closed]);
    const fresh = await client(proxy.listen);
    fresh.socket.write('2');
    await until(() => fresh.received() === '2', 'the echo after the drop');
    expect(target.seen.connections).toBe(2);
  });

  it('HOSTILE: a port someone else holds is refused, not shared', async () => {
    const target = await echo();
    await expect(openFaultProxy({ listen: target.port, to: target.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('close frees the port and ends the connections through it', async () => {
    const target = await echo();
    const proxy = await openFaultProxy({ listen: await freePort(), to: target.port });
    const c = await client(proxy.listen);
    await proxy.close();
    await c.closed;
    const again = await openFaultProxy({ listen: proxy.listen, to: target.port });
    await again.close();
  });
});
