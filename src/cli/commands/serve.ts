/** `shipgate serve`: the read-only dashboard over the configured store, until interrupted. */
import { join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { isCi } from '../../run/ci.js';
import { openConfiguredStore } from '../../run/history.js';
import { rulesFromConfig } from '../../policy/quarantine.js';
import { gitCommitTimes } from '../../serve/git-times.js';
import { checkServeOptions, startServer } from '../../serve/server.js';
import { formatBytes } from '../../util/size-format.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

export function parsePort(value: string | undefined): number {
  if (value === undefined) return 8080;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new UsageError(`--port ${value}: expected a port number from 0 to 65535`, '0 picks a free port');
  return Number(value);
}

export async function serveCommand(flags: { config?: string; port?: string; host?: string; token?: string }, ctx: CliContext): Promise<number> {
  const port = parsePort(flags.port);
  const host = flags.host ?? '127.0.0.1';
  const token = flags.token ?? (ctx.env.SHIPGATE_SERVE_TOKEN || undefined);
  // Refused before the config is read or the store opened: nothing is exposed by mistake.
  checkServeOptions({ host, token });
  const config = await loadConfig({ cwd: ctx.cwd, file: flags.config });
  const store = await openConfiguredStore(config, { env: ctx.env, ci: isCi(ctx.env) });
  try {
    const server = await startServer(
      {
        store,
        project: config.name,
        runsDir: join(config.rootDir, '.shipgate', 'runs'),
        configQuarantine: rulesFromConfig(config.quarantine),
        commitTimes: gitCommitTimes(config.rootDir),
        now: () => new Date(),
      },
      { host, port, token, logError: (e) => ctx.stderr.write(`shipgate serve: internal error: ${(e as Error)?.stack ?? String(e)}\n`) },
    );
    const bytes = await store.storeSize();
    ctx.stdout.write(`shipgate serve: ${server.url} (project ${config.name}; ${store.kind} store, ${formatBytes(bytes)}; read-only${token ? '; token required' : ''})\n`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    return EXIT.READY;
  } finally {
    await store.close();
  }
}
