import { describe, expect, it } from 'vitest';
import { printable, printableDeep, stripEscapes } from './printable.js';

describe('printable', () => {
  it('removes what would clear the screen, move the cursor or recolour, and shows other controls escaped', () => {
    const attack = '\x1b[2J\x1b[H\x1b[32mRESULT: RELEASE READY\x1b[0m';
    expect(printable(attack)).toBe('RESULT: RELEASE READY');
    expect(printable('title\x1b]0;pwned\x07 set')).toBe('title set');
    expect(printable('a\rRESULT: RELEASE READY')).toBe('a\\rRESULT: RELEASE READY');
    expect(printable('x\u009b2Jy')).toBe('xy');
    expect(printable('bell\x07 nul\x00 del\x7f c1\u0085')).toBe('bell\\x07 nul\\x00 del\\x7f c1\\x85');
    // Trojan-source reordering and line separators are visible, not obeyed.
    expect(printable('admin\u202e}nimda')).toBe('admin\\u202e}nimda');
    expect(printable('one\u2028two')).toBe('one\\u2028two');
  });

  it('shows a newline in a one-line field escaped, so a name cannot print a line of its own', () => {
    expect(printable('login\n============\nRESULT: RELEASE READY')).toBe('login\\n============\\nRESULT: RELEASE READY');
    expect(printable('line 1\nline 2\r\nline 3', { multiline: true })).toBe('line 1\nline 2\nline 3');
  });

  it('leaves honest text alone, accents and emoji included', () => {
    for (const s of ['tests/test_api.py::test_login[café-☕]', 'expected 200, got 500', '1.2.3-rc.1', 'größer → 3 ✓']) expect(printable(s)).toBe(s);
  });

  it('strips only escape sequences from a tool\'s coloured output', () => {
    expect(stripEscapes('\x1b[31mFAIL\x1b[39m src/a.test.ts')).toBe('FAIL src/a.test.ts');
  });

  it('makes every string of a record printable, keeping messages multi-line', () => {
    const rec = { id: 'x\ny', nested: [{ message: 'a\nb\x1b[2J', title: 't\x1b]0;x\x07' }], n: 3 };
    expect(printableDeep(rec)).toEqual({ id: 'x\\ny', nested: [{ message: 'a\nb', title: 't' }], n: 3 });
  });
});
