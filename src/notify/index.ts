/**
 * After the decision is recorded and printed: send it where `notify:` says, each notifier at
 * once, all of them together within `notify.timeout` (default 10 s) — three attempts each with
 * backoff inside that bound — so a slow or dead receiver never holds the exit longer. A failure is
 * a warning (printed, masked, without the URL's path); the decision and the exit code stand.
 */
import type { Config } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import { redactDeep, redactText } from '../run/redact.js';
import { printable } from '../util/printable.js';
import { githubCommentNotifier } from './github-comment.js';
import { HttpFailure } from './http.js';
import { NotSent, wants, type Notifier, type NotifierFactory, type NotifyContext } from './notifier.js';
import { slackNotifier } from './slack.js';
import { webhookNotifier } from './webhook.js';

export const NOTIFIERS: NotifierFactory[] = [slackNotifier, webhookNotifier, githubCommentNotifier];

const VAR = /\$\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}/g;

/** `${env.NAME}` in a notify value → its value, or the name of the first variable that is not set. */
export function resolveEnvText(text: string, env: NodeJS.ProcessEnv): { value?: string; missing?: string } {
  let missing: string | undefined;
  const value = text.replace(VAR, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') missing ??= name;
    return v ?? '';
  });
  return missing ? { missing } : { value };
}

/** Every value the notify config resolves to: secrets, masked in reports and payloads alike. */
export function notifySecrets(config: Config, env: NodeJS.ProcessEnv): string[] {
  const n = config.notify;
  if (!n) return [];
  const texts = [n.slack?.webhook, n.webhook?.url, n.webhook?.secret, ...Object.values(n.webhook?.headers ?? {})].filter((t): t is string => !!t);
  const out = new Set<string>();
  for (const t of texts) {
    const r = resolveEnvText(t, env);
    if (r.value && r.value.length >= 6) out.add(r.value);
    // A URL's path and query carry the token (hooks.slack.com/services/T…/B…/XXXX): mask them on their own too.
    if (r.value) {
      try {
        const u = new URL(r.value);
        const rest = `${u.pathname}${u.search}`;
        if (rest.length >= 6 && rest !== '/') out.add(rest);
      } catch {
        /* not a URL */
      }
    }
  }
  if (n.githubComment && env.GITHUB_TOKEN && env.GITHUB_TOKEN.length >= 6) out.add(env.GITHUB_TOKEN);
  return [...out].sort((a, b) => b.length - a.length);
}

export interface NotifyResult {
  name: string;
  ok: boolean;
  skipped?: boolean;
  message: string;
}

export interface NotifyOptions {
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  version: string;
  /** Overrides notify.timeout (tests, library callers). */
  timeoutMs?: number;
}

export async function notifyAll(d: Decision, config: Config, opts: NotifyOptions): Promise<NotifyResult[]> {
  const n = config.notify;
  if (!n) return [];
  const notifiers = NOTIFIERS.map((f) => f(n)).filter((x): x is Notifier => !!x);
  if (!notifiers.length) return [];
  const timeoutMs = opts.timeoutMs ?? n.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  const masked = opts.secrets.length ? redactDeep(d, opts.secrets) : d;
  const ctx: NotifyContext = {
    env: opts.env,
    secrets: opts.secrets,
    version: opts.version,
    attempt: { deadline, attempts: 3, attemptTimeoutMs: Math.max(1000, Math.min(5000, timeoutMs / 2)), backoffMs: [250, 1000] },
    resolve: (text) => resolveEnvText(text, opts.env),
  };
  const say = (text: string) => printable(redactText(text, opts.secrets));
  const one = async (x: Notifier): Promise<NotifyResult> => {
    if (!wants(x.on, d)) return { name: x.name, ok: true, skipped: true, message: `not sent (on: ${x.on.join(', ')}; the release is ${d.result})` };
    try {
      return { name: x.name, ok: true, message: say(await x.send(masked, ctx)) };
    } catch (e) {
      if (e instanceof NotSent) return { name: x.name, ok: false, skipped: true, message: say(`not sent: ${e.message}`) };
      const attempts = e instanceof HttpFailure && e.attempts > 1 ? ` after ${e.attempts} attempts` : '';
      return { name: x.name, ok: false, message: say(`failed${attempts}: ${(e as Error).message}`) };
    }
  };
  // Every notifier stops at the deadline on its own (http.ts); this bound holds even if one does not.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs + 1000)));
  const results: (NotifyResult | undefined)[] = notifiers.map(() => undefined);
  const all = Promise.all(notifiers.map(async (x, i) => (results[i] = await one(x))));
  const outcome = await Promise.race([all, late]);
  clearTimeout(timer);
  if (outcome === 'late') return notifiers.map((x, i) => results[i] ?? { name: x.name, ok: false, message: `gave up: no answer within ${Math.round(timeoutMs / 1000)} s` });
  return results as NotifyResult[];
}
