/**
 * Slack: an incoming-webhook message with blocks — a header with the result, the facts (version,
 * commit, branch, run), the gates that did not pass and why, and the blockers — within Slack's
 * limits (header 150 characters, a text 3,000, ten fields, 50 blocks). Untrusted text goes into
 * code spans with `&`, `<` and `>` escaped, so `<!channel>`, `<@U123>` or a `<url|label>` link in
 * a test name shows as text and pings nobody.
 */
import type { Decision } from '../decide/types.js';
import { escapeSlack, slackCode } from '../report/escape.js';
import { STATUS_LABEL } from '../report/summary.js';
import { versionLabel } from '../report/view.js';
import { send, origin } from './http.js';
import { NotSent, type Notifier, type NotifyContext } from './notifier.js';
import type { NotifyConfig } from '../config/types.js';

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Lines joined up to `max` characters, then "… and N more". */
function lines(items: string[], max: number): string {
  let out = '';
  let n = 0;
  for (const item of items) {
    const next = out ? `${out}\n${item}` : item;
    if (next.length > max - 40) break;
    out = next;
    n++;
  }
  if (n < items.length) out += `\n… and ${items.length - n} more`;
  return out;
}

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
}

export function slackPayload(d: Decision): SlackPayload {
  const ready = d.result === 'READY';
  const headline = `${ready ? '✅ RELEASE READY' : '⛔ RELEASE BLOCKED'} — ${d.project} ${versionLabel(d.version)}`;
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(headline, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: cut(`*Version*\n${slackCode(d.version)}`, 2000) },
        { type: 'mrkdwn', text: `*Commit*\n${d.commit ? slackCode(d.commit.slice(0, 12)) : 'none'}` },
        { type: 'mrkdwn', text: cut(`*Branch*\n${d.branch ? slackCode(d.branch) : 'none'}`, 2000) },
        { type: 'mrkdwn', text: `*Run*\n${slackCode(d.runId)}${d.partial ? ' (partial)' : ''}` },
      ],
    },
  ];
  const notPassed = d.gates.filter((g) => g.status !== 'pass' && g.status !== 'skip');
  if (notPassed.length) {
    const items = notPassed.map((g) => `• ${slackCode(g.id)} *${STATUS_LABEL[g.status]}*${g.reason ? ` — ${slackCode(cut(g.reason.replace(/\s+/g, ' '), 300))}` : ''}`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines([`*Gates not passed (${notPassed.length} of ${d.gates.length})*`, ...items], 3000) } });
  } else {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*All ${d.gates.filter((g) => g.status === 'pass').length} gates that ran passed.*` } });
  }
  if (d.blockers.length) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines(['*Blocked because*', ...d.blockers.map((b) => `• ${slackCode(cut(b.replace(/\s+/g, ' '), 300))}`)], 3000) } });
  }
  const failedReqs = d.requirements.filter((r) => r.status !== 'pass');
  if (failedReqs.length) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines(['*Requirements not met*', ...failedReqs.map((r) => `• ${slackCode(r.id)} ${escapeSlack(r.status.toUpperCase())}`)], 3000) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(`shipgate · ${slackCode(d.project)} · ${d.ci ? 'CI' : 'local'} · ${escapeSlack(d.startedAt)}`, 2000) }] });
  return { text: escapeSlack(cut(headline, 300)), blocks: blocks.slice(0, 50) };
}

export function slackNotifier(config: NotifyConfig): Notifier | undefined {
  const c = config.slack;
  if (!c) return undefined;
  return {
    name: 'slack',
    on: c.on,
    async send(d: Decision, ctx: NotifyContext) {
      const url = ctx.resolve(c.webhook);
      if (url.missing) throw new NotSent(`${url.missing} is not set`);
      if (!/^https?:\/\//i.test(url.value!)) throw new NotSent('the webhook is not an http(s) URL');
      await send({ method: 'POST', url: url.value!, headers: { 'content-type': 'application/json', 'user-agent': `shipgate/${ctx.version}` }, body: JSON.stringify(slackPayload(d)) }, ctx.attempt);
      return `sent to ${origin(url.value!)}`;
    },
  };
}
