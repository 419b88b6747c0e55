/** `shipgate plan` as text: phases of the graph, each gate run or skip with its reason. Pure. */
import type { Config } from '../config/types.js';
import type { Plan } from '../plan/select.js';

export function formatPlan(config: Config, plan: Plan): string {
  const lines: string[] = [`Plan for ${config.name} (${plan.ci ? 'CI' : 'local'}) — ${config.file}`];
  const runs = plan.gates.filter((g) => g.action === 'run');
  const phases = Math.max(-1, ...runs.map((g) => g.phase)) + 1;
  const idW = Math.max(...plan.gates.map((g) => g.id.length), 2);
  for (let ph = 0; ph < phases; ph++) {
    lines.push(`  phase ${ph + 1}:`);
    for (const p of runs.filter((g) => g.phase === ph)) {
      const extra = [
        p.gate.needs.length ? `needs ${p.gate.needs.join(', ')}` : '',
        p.gate.services.length ? `services ${p.gate.services.join(', ')}` : '',
        p.ranWithout.length ? `runs without ${p.ranWithout.join(', ')}` : '',
        p.gate.severity !== 'block' ? p.gate.severity : '',
      ].filter(Boolean);
      lines.push(`    RUN   ${p.id.padEnd(idW)}  ${p.gate.title !== p.id ? p.gate.title : ''}${extra.length ? `  (${extra.join('; ')})` : ''}`.trimEnd());
    }
  }
  const skipped = plan.gates.filter((g) => g.action === 'skip');
  if (skipped.length) {
    lines.push('  not in this run:');
    for (const p of skipped) lines.push(`    SKIP  ${p.id.padEnd(idW)}  ${p.reason}${p.gate.severity === 'block' && !p.optionalSkip ? ' — blocking gate; --strict would block the release' : ''}`);
  }
  lines.push(`${runs.length} to run, ${skipped.length} skipped. Nothing was executed.`);
  return lines.join('\n');
}
