/**
 * The one reporter interface: optional hooks, called in pipeline order. Reporters only render the
 * values they are given; they never judge.
 */
import type { Decision, GateVerdict } from '../model/types.js';
import type { Plan } from '../plan/select.js';

export interface RunInfo {
  project: string;
  version: string;
  commit: string | null;
  runId: string;
  runDir: string;
  ci: boolean;
  plan: Plan;
}

export interface Reporter {
  onRunStart?(info: RunInfo): void | Promise<void>;
  onGateStart?(id: string): void;
  onGateOutput?(id: string, chunk: string): void;
  onGateEnd?(verdict: GateVerdict): void;
  onDecision?(decision: Decision): void | Promise<void>;
  /** Release terminal state (stop live rendering) — also called when the run is interrupted. */
  close?(): void | Promise<void>;
}
