/**
 * A TCP fault proxy for `faults:` network actions: listens on 127.0.0.1:`listen`, forwards each
 * connection to 127.0.0.1:`to`, and does to the connections whatever fault is set, from the moment
 * it is set, to open connections and new ones alike:
 *
 * - latency: every chunk, each way, is held `delayMs` before it is passed on (order kept);
 * - drop:    a blackhole. New connections are accepted and never reach the service; bytes either
 *            way are discarded. When the drop ends, every connection that lived through it is
 *            closed (its byte stream has holes); new connections work again.
 * - reset:   open connections are reset (RST), new ones are accepted and reset at once.
 *
 * Loopback only, on both sides: it is a test instrument for the gate's own services.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { FaultProxy, ProxyFault } from '../checks/kind.js';

const HOST = '127.0.0.1';

/** One direction of a connection: chunks leave in order, none before its time. */
class Lane {
  private readonly queue: { at: number; chunk?: Buffer }[] = [];
  private timer?: NodeJS.Timeout;
  private last = 0;
  constructor(private readonly dst: Socket) {}

  /** Pass `chunk` on (undefined: end the stream) after `delayMs`, never before what came earlier. */
  send(chunk: Buffer | undefined, delayMs: number): void {
    const at = Math.max(Date.now() + delayMs, this.last);
    this.last = at;
    if (this.queue.length === 0 && delayMs === 0) return this.out(chunk);
    this.queue.push({ at, chunk });
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.queue.length && this.queue[0]!.at <= Date.now()) this.out(this.queue.shift()!.chunk);
      this.arm();
    }, Math.max(1, this.queue[0]!.at - Date.now()));
  }

  private out(chunk: Buffer | undefined): void {
    if (this.dst.destroyed) return;
    if (chunk) this.dst.write(chunk);
    else this.dst.end();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

interface Pair {
  client: Socket;
  upstream?: Socket;
  up?: Lane;
  down?: Lane;
  /** Lived through a drop: closed when it ends. */
  dropped: boolean;
}

export async function openFaultProxy(opts: { listen: number; to: number }): Promise<FaultProxy> {
  let fault: ProxyFault | undefined;
  const pairs = new Set<Pair>();
  const stats = { connections: 0, reset: 0, dropped: 0, delayedChunks: 0 };

  const close = (p: Pair): void => {
    pairs.delete(p);
    p.up?.clear();
    p.down?.clear();
    p.client.destroy();
    p.upstream?.destroy();
  };
  const reset = (p: Pair): void => {
    pairs.delete(p);
    p.up?.clear();
    p.down?.clear();
    stats.reset++;
    p.client.resetAndDestroy();
    p.upstream?.destroy();
  };
  /** What happens to a chunk now: pass on (with the latency, if any) or discard. */
  const forward = (p: Pair, lane: Lane | undefined, chunk: Buffer | undefined): void => {
    if (fault?.kind === 'drop' || !lane) {
      p.dropped = true;
      if (chunk) stats.dropped++;
      return;
    }
    const delay = fault?.kind === 'latency' ? fault.delayMs : 0;
    if (delay > 0 && chunk) stats.delayedChunks++;
    lane.send(chunk, delay);
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    const p: Pair = { client, dropped: false };
    pairs.add(p);
    client.on('error', () => close(p));
    client.on('close', () => close(p));
    if (fault?.kind === 'reset') return reset(p);
    if (fault?.kind === 'drop') {
      // Accepted and held: the client sees a connection that never answers.
      p.dropped = true;
      client.on('data', () => stats.dropped++);
      return;
    }
    const upstream = connect({ host: HOST, port: opts.to });
    p.upstream = upstream;
    p.up = new Lane(upstream);
    p.down = new Lane(client);
    upstream.on('error', () => close(p));
    upstream.on('close', () => close(p));
    client.on('data', (c: Buffer) => forward(p, p.up, c));
    upstream.on('data', (c: Buffer) => forward(p, p.down, c));
    client.on('end', () => forward(p, p.up, undefined));
    upstream.on('end', () => forward(p, p.down, undefined));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: opts.listen, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    listen: opts.listen,
    to: opts.to,
    set(next) {
      const wasDrop = fault?.kind === 'drop';
      fault = next;
      if (next?.kind === 'reset') for (const p of [...pairs]) reset(p);
      if (wasDrop && next?.kind !== 'drop') for (const p of [...pairs]) if (p.dropped) close(p);
    },
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of [...pairs]) close(p);
        server.close(() => resolve());
      }),
  };
}
