import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmdValidate } from '../../src/cli/validate.js';
import { printError, type Out } from '../../src/cli/out.js';

describe('printError', () => {
  it('redacts the loaded key from an unexpected error and its --verbose stack', () => {
    const key = 'pe-unit-key-7c1d0e5a9b';
    const f = join(mkdtempSync(join(tmpdir(), 'sb-pe-')), 's.yaml');
    writeFileSync(f, `name: pe\ntarget: {url: embedded, deployment: d, apiKey: '\${PE_KEY}'}\nworkloads:\n  - {name: p, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 1, duration: 1s}\n`);
    const lines: string[] = [];
    const o: Out = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false };
    process.env.PE_KEY = key;
    try {
      expect(cmdValidate(f, [], o)).toBe(0);
    } finally {
      delete process.env.PE_KEY;
    }
    const bug = new Error(`unexpected: request with authorization: ApiKey ${key} failed`);
    expect(printError(bug, true, o)).toBe(3);
    const text = lines.join('\n');
    expect(text).toContain('unexpected: request with authorization: ApiKey [REDACTED] failed');
    expect(text).toContain('at '); // the stack is there (--verbose) …
    expect(text).not.toContain(key); // … without the key
  });
});
