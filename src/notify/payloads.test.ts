/** Notification payloads against their documented shape and a recorded layout (test/fixtures/ci/recorded/). */
import { join } from 'node:path';
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { hostileDecision } from '../../test/fixtures/ci/decisions.js';
import { slackPayload } from './slack.js';
import { webhookPayload } from './webhook.js';

const recorded = (name: string) => join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'ci', 'recorded', name);

describe('notification payloads', () => {
  it('Slack: blocks as @slack/types describes them, within the limits, control sequences escaped', async () => {
    const p = slackPayload(hostileDecision());
    const blocks: KnownBlock[] = p.blocks as unknown as KnownBlock[];
    expect(blocks[0]!.type).toBe('header');
    const text = JSON.stringify(p);
    expect(text).not.toMatch(/<!channel>|<@U123>|<http/);
    for (const b of p.blocks) {
      const t = (b as { text?: { text: string } }).text?.text;
      if (t) expect(t.length).toBeLessThanOrEqual(b.type === 'header' ? 150 : 3000);
    }
    await expect(`${JSON.stringify(p, null, 2)}\n`).toMatchFileSnapshot(recorded('slack.json'));
  });
  it('webhook: the decision summary', () => {
    const p = webhookPayload(hostileDecision(), 'id', '2026-01-01T00:00:05.000Z');
    expect(p).toMatchObject({ event: 'shipgate.decision', result: 'BLOCKED', version: '1.2.3', deliveryId: 'id' });
    expect(p.gates.map((g) => g.status)).toEqual(['pass', 'fail', 'fail', 'warn', 'pending', 'skip']);
  });
});
