import { loadConfig } from '../../config/load.js';
import { selectGates } from '../../plan/select.js';
import { formatPlan } from '../../report/plan.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { ciMode } from '../options.js';

export interface PlanFlags {
  config?: string;
  with?: string[];
  skip?: string[];
  only?: string[];
  ci?: boolean;
  local?: boolean;
  json?: boolean;
}

export async function planCommand(flags: PlanFlags, ctx: CliContext): Promise<number> {
  const config = await loadConfig({ cwd: ctx.cwd, file: flags.config });
  const plan = selectGates(config, { ci: ciMode(flags, ctx.env), with: flags.with, skip: flags.skip, only: flags.only });
  if (flags.json) {
    const gates = plan.gates.map((p) => ({
      id: p.id,
      title: p.gate.title,
      action: p.action,
      reason: p.reason ?? null,
      needs: p.gate.needs,
      ranWithout: p.ranWithout,
      phase: p.action === 'run' ? p.phase : null,
      services: p.gate.services,
      severity: p.gate.severity,
    }));
    ctx.stdout.write(`${JSON.stringify({ project: config.name, ci: plan.ci, gates }, null, 2)}\n`);
  } else {
    ctx.stdout.write(`${formatPlan(config, plan)}\n`);
  }
  return EXIT.READY;
}
