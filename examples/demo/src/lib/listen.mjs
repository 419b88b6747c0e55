// Starting and stopping a server from an entry point: port from the environment, loopback only,
// a clear message when the port is taken, and a clean stop on SIGTERM/SIGINT (shipgate stops
// services with SIGTERM).
import { createServer } from 'node:http';

/**
 * @param {{ label: string, handler: import('node:http').RequestListener, port: number, host?: string }} options
 */
export function serve({ label, handler, port, host = '127.0.0.1' }) {
  const server = createServer(handler);
  server.on('error', (err) => {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    const hint = code === 'EADDRINUSE' ? ' (the port is in use: stop the other process or choose another port)' : '';
    console.error(`${label}: cannot listen on ${host}:${port}: ${err.message}${hint}`);
    process.exitCode = 1;
  });
  server.listen(port, host, () => {
    const address = /** @type {import('node:net').AddressInfo} */ (server.address());
    console.log(`${label} listening on http://${host}:${address.port}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
