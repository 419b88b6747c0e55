import { describe, expect, it } from 'vitest';
import { hostOf, isLoopback, requestToken, tokenMatches } from './auth.js';
import { escapeHtml, href, html } from './html.js';
import { parseQuery } from './query.js';

describe('html escaping', () => {
  it('escapes every interpolated value, joins arrays, and trusts only Html made by the template', () => {
    const name = '<img src=x onerror=alert(1)>';
    expect(html`<td>${name}</td>`.text).toBe('<td>&lt;img src=x onerror=alert(1)&gt;</td>');
    expect(html`<a title="${'" onmouseover="x'}">`.text).toBe('<a title="&quot; onmouseover=&quot;x">');
    expect(html`<p>${[html`<b>${'&'}</b>`, "'"]}</p>`.text).toBe('<p><b>&amp;</b>&#39;</p>');
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
    expect(escapeHtml('`')).toBe('&#96;');
    expect(href('/tests', { id: 'a b&c=<d>', project: undefined })).toBe('/tests?id=a+b%26c%3D%3Cd%3E');
  });
});

describe('query strings', () => {
  const spec = { limit: { kind: 'int', min: 1, max: 500 }, decision: { kind: 'enum', values: ['READY', 'BLOCKED'] }, before: { kind: 'name' }, q: { kind: 'text', max: 10 } } as const;
  const parse = (s: string) => parseQuery(new URLSearchParams(s), spec);
  const code = (s: string) => {
    try {
      parse(s);
      return 'ok';
    } catch (e) {
      return `${(e as { code: string }).code} ${(e as Error).message}`;
    }
  };
  it('takes declared parameters of the right kind; an empty value is no filter', () => {
    expect(parse('limit=20&decision=READY&before=2026-01-x&q=hi&')).toEqual({ limit: 20, decision: 'READY', before: '2026-01-x', q: 'hi' });
    expect(parse('decision=')).toEqual({});
  });
  it('refuses unknown, repeated, out-of-range and hostile values with SERVE_BAD_QUERY', () => {
    expect(code('nope=1')).toMatch(/^SERVE_BAD_QUERY unknown query parameter "nope"/);
    expect(code('limit=1&limit=2')).toMatch(/more than once/);
    for (const bad of ['limit=0', 'limit=501', 'limit=99999999999999999999', 'limit=-1', 'limit=1e3', 'limit=%20']) expect(code(bad), bad).toMatch(/expected a whole number from 1 to 500/);
    expect(code('decision=ready')).toMatch(/expected one of READY, BLOCKED/);
    for (const bad of ['before=..', 'before=../../etc/passwd', 'before=a%2Fb', 'before=.hidden']) expect(code(bad), bad).toMatch(/not a valid run id/);
    expect(code('q=%00')).toMatch(/printable text/);
    expect(code('q=12345678901')).toMatch(/at most 10/);
  });
});

describe('tokens and loopback', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'LOCALHOST']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '127.0.0.1.example.com', '']) expect(isLoopback(h), h).toBe(false);
    expect(hostOf('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(hostOf('[::1]:8080')).toBe('[::1]');
  });
  it('compares tokens whatever their length, and reads them from the header or the cookie', () => {
    const t = 'a'.repeat(32);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(undefined, t)).toBe(false);
    expect(tokenMatches('', t)).toBe(false);
    expect(tokenMatches(`${t}a`, t)).toBe(false);
    expect(requestToken('Bearer abc', undefined)).toBe('abc');
    expect(requestToken(undefined, 'x=1; shipgate_token=abc%20d')).toBe('abc d');
    expect(requestToken(undefined, 'shipgate_token=%E0%A4%A')).toBeUndefined();
    expect(requestToken('Basic abc', undefined)).toBeUndefined();
  });
});
