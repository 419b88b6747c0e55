import type { Decision } from './types.js';

/** The decision as JSON text: `decision.json` in the run folder, `--report json`, `--json`. */
export function decisionJson(d: Decision): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
