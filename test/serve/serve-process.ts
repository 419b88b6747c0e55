/** The real `shipgate serve` process for end-to-end tests: started, its URL read from stdout, stopped by its pid. */
import { startCli, type CliProcess, type CliResult } from '../e2e/helpers.js';
import { BASE_ENV } from '../e2e/history-helpers.js';

export interface ServeProcess {
  url: string;
  proc: CliProcess;
  stop(): Promise<CliResult>;
}

export async function startServe(dir: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<ServeProcess> {
  const proc = startCli(['serve', '--port', '0', ...args], { cwd: dir, env: { ...BASE_ENV, SHIPGATE_SERVE_TOKEN: undefined, ...env }, timeoutMs: 120_000 });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.child.stdout!.on('data', (c: Buffer | string) => {
      out += String(c);
      const m = /shipgate serve: (http:\/\/\S+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void proc.done.then((r) => reject(new Error(`shipgate serve exited ${r.code} before listening:\n${r.stderr}`)));
  });
  return {
    url,
    proc,
    stop: async () => {
      proc.child.kill('SIGINT');
      return proc.done;
    },
  };
}
