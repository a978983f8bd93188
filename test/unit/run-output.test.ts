/**
 * The run outputs (results file, abort watch, progress line) and the writer lists: each output
 * sees every record in order, the abort watch stops the run once, and one writer's failure does not
 * stop the others.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortOnFail, ResultsFile, engineHooks, startOutputs, stopOutputs, type RunOutput } from '../../src/report/run-output.js';
import { AbortWatch } from '../../src/metrics/abort-watch.js';
import { readRecords } from '../../src/metrics/results-file.js';
import type { Progress } from '../../src/metrics/progress.js';
import type { RunRecord } from '../../src/metrics/records.js';
import { tryWriteAll, writeAll, type Writer } from '../../src/report/writer.js';
import { ServebenchError } from '../../src/errors.js';
import { sampleRecords } from '../helpers/sample-summary.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-outputs-'));

describe('run outputs', () => {
  it('each output gets start, every record in order, progress, and stop', () => {
    const seen: string[] = [];
    const spy = (name: string): RunOutput => ({
      start: () => seen.push(`${name}:start`),
      add: (r) => seen.push(`${name}:${r.type}`),
      stop: () => seen.push(`${name}:stop`),
    });
    const progress: Progress[] = [];
    const outputs: RunOutput[] = [spy('a'), spy('b'), { progress: (p) => progress.push(p) }];
    startOutputs(outputs);
    const hooks = engineHooks(outputs);
    const recs = sampleRecords({ seconds: 1, workers: 1 });
    for (const r of recs) hooks.onRecord(r);
    hooks.onProgress!({ second: 0 } as Progress);
    stopOutputs(outputs);
    const types = recs.map((r) => r.type);
    expect(seen).toEqual(['a:start', 'b:start', ...types.flatMap((t) => [`a:${t}`, `b:${t}`]), 'a:stop', 'b:stop']);
    expect(progress).toHaveLength(1);
    expect(engineHooks([{ add: () => undefined }]).onProgress).toBeUndefined();
  });

  it('the results file holds every record and reads back the same', () => {
    const path = join(dir, 'results.ndjson');
    const out = new ResultsFile(path);
    const recs = sampleRecords({ seconds: 2, workers: 2 });
    recs.forEach((r) => out.add(r));
    out.stop();
    expect(readRecords(path)).toEqual(JSON.parse(JSON.stringify(recs)));
  });

  it('abortOnFail stops the run once, with the threshold in the reason', () => {
    const reasons: string[] = [];
    const abort = new AbortOnFail(new AbortWatch([{ expr: 'latency.p50 < 1us', delayMs: 0 }]), (r) => reasons.push(r));
    for (const r of sampleRecords({ seconds: 5, workers: 1 }) as RunRecord[]) abort.add(r);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^threshold 'latency.p50 < 1us' failed \(.+\); abortOnFail stopped the run$/);
    expect(abort.reason).toBe(reasons[0]);
  });
});

describe('writers', () => {
  const ok = (file: string): Writer<number> => ({ name: file, file, render: (n) => `${n}\n` });
  const broken: Writer<number> = {
    name: 'broken',
    file: 'broken.txt',
    render: () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    },
  };

  it('writes every file of the list, or only the named ones', () => {
    const d = join(dir, 'all');
    expect(writeAll(7, d, [ok('a.txt'), ok('b.txt')])).toEqual([join(d, 'a.txt'), join(d, 'b.txt')]);
    expect(readFileSync(join(d, 'b.txt'), 'utf8')).toBe('7\n');
    const e = join(dir, 'named');
    expect(writeAll(7, e, [ok('a.txt'), ok('b.txt')], ['b.txt'])).toEqual([join(e, 'b.txt')]);
    expect(existsSync(join(e, 'a.txt'))).toBe(false);
  });

  it('a writer that fails does not stop the others, and the failure names its file', () => {
    const d = join(dir, 'failing');
    const r = tryWriteAll(1, d, [ok('a.txt'), broken, ok('c.txt')]);
    expect(r.written).toEqual([join(d, 'a.txt'), join(d, 'c.txt')]);
    expect(r.failed).toEqual([join(d, 'broken.txt')]);
    try {
      writeAll(1, join(dir, 'failing2'), [broken, ok('c.txt')]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ServebenchError);
      expect((err as ServebenchError).code).toBe('E_WRITE');
      expect((err as ServebenchError).message).toContain('broken.txt');
    }
    expect(existsSync(join(dir, 'failing2', 'c.txt'))).toBe(true);
  });
});
