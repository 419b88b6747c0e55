import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { isSecretName, MASK, Redactor, redactDeep, redactText, secretValues } from './redact.js';

describe('which variables are secret', () => {
  it('by whole words of the name, not by substrings', () => {
    for (const name of ['API_TOKEN', 'DB_PASSWORD', 'GITHUB_AUTH', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL', 'DEPLOY_SSH_KEY', 'MYSQL_PWD', 'SENTRY_DSN', 'npm_config__auth', 'STRIPE_API_KEY', 'GOOGLE_CREDENTIALS', 'SIGNING_KEY'])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'PWD', 'OLDPWD', 'KEYBOARD_LAYOUT', 'TOKENIZER_PATH', 'PASSTHROUGH', 'HOME', 'MONKEY_PATCH', 'AUTHORITY'])
      expect(isSecretName(name), name).toBe(false);
  });

  it('takes values of secret variables long enough to be one, names the config declares, and passwords inside any URL', () => {
    const env = {
      API_TOKEN: 'tok-123456',
      DB_PASSWORD: 'hunter22',
      GIT_AUTHOR_NAME: 'Ann Author',
      FEATURE_TOKEN: '1',
      SHIPGATE_VERSION: 'token-like-1.0',
      MY_VALUE: 'declared-secret',
      REDIS_URL: 'redis://default:r3d1s-pass@127.0.0.1:6379/0',
      SHIPGATE_DATABASE_URL: 'postgres://app:pg-pass-99@db:5432/x',
      OTHER_URL: 'https://host/path?user=a&password=query-pass-1',
    };
    expect(secretValues(env, { names: ['MY_VALUE'] }).sort()).toEqual(
      ['declared-secret', 'hunter22', 'pg-pass-99', 'postgres://app:pg-pass-99@db:5432/x', 'query-pass-1', 'r3d1s-pass', 'tok-123456'].sort(),
    );
  });
});

describe('redaction', () => {
  it('masks every occurrence, longest secret first', () => {
    expect(redactText('a hunter22 b hunter22-extra', ['hunter22-extra', 'hunter22'])).toBe(`a ${MASK} b ${MASK}`);
  });
  it('masks credentials in any URL-shaped text, known secret or not', () => {
    expect(redactText('connect postgres://app:s3cr3t@db/x failed', [])).toBe(`connect postgres://app:${MASK}@db/x failed`);
    expect(redactText('GET https://h/p?a=1&password=hunter2&b=2', [])).toBe(`GET https://h/p?a=1&password=${MASK}&b=2`);
    expect(redactText('see https://example.com/a:b and user@host', [])).toBe('see https://example.com/a:b and user@host');
  });
  it('masks a secret split across chunks of a stream, and a URL split across chunks', async () => {
    const chunks = ['Authorization: Bearer tok-12', '3456 and again tok-123', '456\nurl postgres://u:pa', 'ssw0rd@db/x\n', ' end'];
    const out = await text(Readable.from(chunks, { objectMode: false }).pipe(new Redactor(['tok-123456'])));
    expect(out).toBe(`Authorization: Bearer ${MASK} and again ${MASK}\nurl postgres://u:${MASK}@db/x\n end`);
  });
  it('redacts every string of a record', () => {
    expect(redactDeep({ a: ['x tok-123456'], b: { message: 'tok-123456!' }, n: 1 }, ['tok-123456'])).toEqual({ a: [`x ${MASK}`], b: { message: `${MASK}!` }, n: 1 });
  });
});
