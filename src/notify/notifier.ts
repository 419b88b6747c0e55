/**
 * The notifier interface and its registry: one file per notifier (slack.ts, webhook.ts,
 * github-comment.ts). A notifier turns a decision into HTTP requests and sends them with the
 * bounded retries of http.ts; it never judges and never changes the decision.
 */
import type { Decision } from '../decide/types.js';
import type { NotifyConfig, NotifyWhen } from '../config/types.js';
import type { AttemptOptions } from './http.js';

export interface NotifyContext {
  env: NodeJS.ProcessEnv;
  /** Secret values: masked in every payload (and never printed). */
  secrets: readonly string[];
  /** Retries and the shared deadline. */
  attempt: AttemptOptions;
  /** shipgate's version, for the User-Agent. */
  version: string;
  /** `${env.NAME}` → value; undefined when the variable is not set. */
  resolve(text: string): { value?: string; missing?: string };
}

export interface Notifier {
  /** The config key: `slack`, `webhook`, `github-comment`. */
  name: string;
  /** When this notifier sends. */
  on: NotifyWhen[];
  /** Send the (already masked) decision; resolve with a one-line account of what was done. */
  send(d: Decision, ctx: NotifyContext): Promise<string>;
}

export class NotSent extends Error {}

export function wants(on: readonly NotifyWhen[], d: Decision): boolean {
  return on.includes('always') || on.includes(d.result === 'READY' ? 'ready' : 'blocked');
}

export type NotifierFactory = (config: NotifyConfig) => Notifier | undefined;
