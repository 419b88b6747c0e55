import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { MASK, Redactor, redactText, secretValues } from './redact.js';

describe('secretValues', () => {
  it('takes values of variables named like secrets, long enough to be one', () => {
    const env = { API_TOKEN: 'tok-123456', DB_PASSWORD: 'hunter22', GITHUB_AUTH: 'ghp_abcdef', AWS_ACCESS_KEY_ID: 'AKIA1234', HOME: '/home/someone', FEATURE_TOKEN: '1', SHIPGATE_VERSION: 'token-like-1.0' };
    expect(secretValues(env).sort()).toEqual(['AKIA1234', 'ghp_abcdef', 'hunter22', 'tok-123456']);
  });
});

describe('redaction', () => {
  it('masks every occurrence, longest secret first', () => {
    expect(redactText('a hunter22 b hunter22-extra', ['hunter22-extra', 'hunter22'])).toBe(`a ${MASK} b ${MASK}`);
  });
  it('masks a secret split across chunks of a stream', async () => {
    const chunks = ['Authorization: Bearer tok-12', '3456 and again tok-123', '456', ' end'];
    const out = await text(Readable.from(chunks, { objectMode: false }).pipe(new Redactor(['tok-123456'])));
    expect(out).toBe(`Authorization: Bearer ${MASK} and again ${MASK} end`);
  });
});
