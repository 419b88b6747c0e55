import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { blockedPortText } from './fetch-blocked.js';

describe('blockedPortText', () => {
  it('names a port fetch refuses, from the real error fetch gives', async () => {
    // Port 4190 is on the Fetch standard's list; fetch refuses it before connecting, so nothing need listen.
    const e = await fetch('http://127.0.0.1:4190/-/ready').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(blockedPortText(e, 'http://127.0.0.1:4190/-/ready')).toMatch(/^fetch refuses port 4190: .*Fetch standard blocks.*use another port$/);
  });

  it('says nothing about any other failure (a refused connection on an allowed port)', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const e = await fetch(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect(blockedPortText(e, `http://127.0.0.1:${port}/`)).toBeUndefined();
    expect(blockedPortText(new Error('bad port'), 'http://x/')).toBeUndefined();
  });
});
