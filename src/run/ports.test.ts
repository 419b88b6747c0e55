import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnHttpServer } from '../../test/fixtures/run/helpers.js';
import { listeningInodes, portHolder, portOfUrl } from './ports.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('portOfUrl', () => {
  it('reads explicit and default ports', () => {
    expect(portOfUrl('http://127.0.0.1:3000/health')).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(portOfUrl('http://localhost/')).toEqual({ host: 'localhost', port: 80 });
    expect(portOfUrl('https://example.test/x')).toEqual({ host: 'example.test', port: 443 });
    expect(portOfUrl('http://[::1]:8080/')).toEqual({ host: '::1', port: 8080 });
  });
  it('gives undefined for what is not an http URL', () => {
    expect(portOfUrl('not a url')).toBeUndefined();
    expect(portOfUrl('ftp://host:21/')).toBeUndefined();
  });
});

describe('listeningInodes', () => {
  it('picks listening sockets on the port only', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0',
      '   1: 0100007F:0BB8 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0',
      '   2: 0100007F:0BB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0',
    ].join('\n');
    expect(listeningInodes(table, 3000)).toEqual(['1111']);
  });
});

describe('portHolder', () => {
  it('says a port nobody listens on is free', async () => {
    const port = await freePort();
    expect(await portHolder('127.0.0.1', port)).toEqual({ free: true });
  });

  it('names the process listening on a taken port', async () => {
    const { child, port } = await spawnHttpServer();
    children.push(child);
    const status = await portHolder('127.0.0.1', port);
    expect(status.free).toBe(false);
    expect(status.holder).toContain(`pid ${child.pid} (`);
    expect(status.holder).toContain('http-server.mjs');
  });
});
