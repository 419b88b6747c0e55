/**
 * A generic webhook: the decision summary as JSON, POSTed to `url` with the configured headers.
 * With `secret`, the exact body bytes are signed with HMAC-SHA256 and the signature sent as
 * `X-Shipgate-Signature-256: sha256=<hex>` (the scheme GitHub uses for its webhooks); the body
 * carries `deliveryId` and `sentAt`, so a receiver can refuse replays. Every attempt of one
 * delivery has the same `X-Shipgate-Delivery` id.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { NotifyConfig } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import { origin, send } from './http.js';
import { NotSent, type Notifier, type NotifyContext } from './notifier.js';

export const SIGNATURE_HEADER = 'x-shipgate-signature-256';

export interface WebhookPayload {
  event: 'shipgate.decision';
  deliveryId: string;
  sentAt: string;
  result: Decision['result'];
  project: string;
  version: string;
  commit: string | null;
  branch: string | null;
  runId: string;
  ci: boolean;
  partial: boolean;
  interrupted: boolean;
  startedAt: string;
  durationMs: number;
  configHash?: string;
  blockers: string[];
  warnings: string[];
  gates: { id: string; title: string; status: string; severity: string; reason?: string; counts?: Decision['gates'][number]['counts'] }[];
  requirements: { id: string; title: string; status: string }[];
}

export function webhookPayload(d: Decision, deliveryId: string, sentAt: string): WebhookPayload {
  return {
    event: 'shipgate.decision',
    deliveryId,
    sentAt,
    result: d.result,
    project: d.project,
    version: d.version,
    commit: d.commit,
    branch: d.branch,
    runId: d.runId,
    ci: d.ci,
    partial: !!d.partial,
    interrupted: !!d.interrupted,
    startedAt: d.startedAt,
    durationMs: d.durationMs,
    ...(d.configHash ? { configHash: d.configHash } : {}),
    blockers: d.blockers,
    warnings: d.warnings,
    gates: d.gates.map((g) => ({ id: g.id, title: g.title, status: g.status, severity: g.severity, ...(g.reason ? { reason: g.reason } : {}), ...(g.counts ? { counts: g.counts } : {}) })),
    requirements: d.requirements.map((r) => ({ id: r.id, title: r.title, status: r.status })),
  };
}

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function webhookNotifier(config: NotifyConfig): Notifier | undefined {
  const c = config.webhook;
  if (!c) return undefined;
  return {
    name: 'webhook',
    on: c.on,
    async send(d: Decision, ctx: NotifyContext) {
      const url = ctx.resolve(c.url);
      if (url.missing) throw new NotSent(`${url.missing} is not set`);
      if (!/^https?:\/\//i.test(url.value!)) throw new NotSent('the url is not an http(s) URL');
      const headers: Record<string, string> = {};
      for (const [name, raw] of Object.entries(c.headers)) {
        const v = ctx.resolve(raw);
        if (v.missing) throw new NotSent(`${v.missing} is not set (header ${name})`);
        headers[name.toLowerCase()] = v.value!;
      }
      const deliveryId = randomUUID();
      const body = JSON.stringify(webhookPayload(d, deliveryId, new Date().toISOString()));
      Object.assign(headers, { 'content-type': 'application/json', 'user-agent': `shipgate/${ctx.version}`, 'x-shipgate-event': 'decision', 'x-shipgate-delivery': deliveryId });
      if (c.secret) {
        const secret = ctx.resolve(c.secret);
        if (secret.missing) throw new NotSent(`${secret.missing} is not set (secret)`);
        headers[SIGNATURE_HEADER] = signBody(body, secret.value!);
      }
      await send({ method: 'POST', url: url.value!, headers, body }, ctx.attempt);
      return `sent to ${origin(url.value!)}${c.secret ? ' (signed)' : ''}`;
    },
  };
}
