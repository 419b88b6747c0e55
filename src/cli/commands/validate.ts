import { loadConfig } from '../../config/load.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

export async function validateCommand(flags: { config?: string }, ctx: CliContext): Promise<number> {
  const config = await loadConfig({ cwd: ctx.cwd, file: flags.config });
  const gates = Object.keys(config.gates).length;
  const services = Object.keys(config.services).length;
  const reqs = Object.keys(config.requirements).length;
  ctx.stdout.write(`${config.file}: valid (${gates} gates, ${services} services, ${reqs} requirements)\n`);
  return EXIT.READY;
}
