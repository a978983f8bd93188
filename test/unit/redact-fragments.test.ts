import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/util/redact.js';
import { JsonBodyCollector } from '../../src/protocol/json.js';
import { escapeForTerminal } from '../../src/util/escape.js';

const KEY = 'sbKEY-9f8e7d6c5b4a39281706f5e4';
const r = new Redactor([KEY]);

describe('redaction of pieces of a key', () => {
  it('replaces any run of 8 or more characters of the key, and leaves shorter ones and other text', () => {
    expect(r.redact(`a ${KEY.slice(0, 13)}`)).toBe('a [REDACTED]');
    expect(r.redact(`${KEY.slice(-9)} b`)).toBe('[REDACTED] b');
    expect(r.redact(`x${KEY.slice(5, 20)}y`)).toBe('x[REDACTED]y');
    expect(r.redact(`${KEY.slice(0, 7)} and nothing`)).toBe(`${KEY.slice(0, 7)} and nothing`);
    expect(r.redact(`k=${KEY}; again ${KEY}`)).toBe('k=[REDACTED]; again [REDACTED]');
  });

  it('redacts before it cuts: a key across the cut of every snippet never leaves a piece', () => {
    for (const cut of [80, 120, 200, 300]) {
      for (let at = cut - KEY.length; at <= cut; at++) {
        const text = 'x'.repeat(at) + KEY + ' tail';
        const out = r.snippet(text, cut);
        expect(out.length).toBeLessThanOrEqual(cut);
        for (let i = 0; i + 8 <= KEY.length; i++) expect(out).not.toContain(KEY.slice(i, i + 8));
      }
    }
  });

  it("a text body's snippet is redacted before its cut at 200 and 120 characters", () => {
    for (const cut of [120, 200]) {
      for (let at = cut - 20; at < cut; at++) {
        const b = new JsonBodyCollector();
        b.reset(1 << 20);
        b.push(Buffer.from('y'.repeat(at) + KEY + ' more text after the key'));
        const out = b.textSnippet(cut, (t) => r.redact(t));
        expect(out.length).toBeLessThanOrEqual(cut);
        for (let i = 0; i + 8 <= KEY.length; i++) expect(out).not.toContain(KEY.slice(i, i + 8));
      }
    }
  });
});

describe('server text on the terminal', () => {
  it('shows control characters, CR/LF and direction overrides as escapes', () => {
    expect(escapeForTerminal('a\x1b[2Jb\x1b]0;owned\x07c\r\nd\t\u202ee\x9b')).toBe('a\\x1b[2Jb\\x1b]0;owned\\x07c\\r\\nd\\t\\u202ee\\x9b');
    expect(escapeForTerminal('plain text — ünïcode ✓')).toBe('plain text — ünïcode ✓');
  });
});
