import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdjsonSink } from '../../src/report/ndjson.js';
import { readRecords } from '../../src/metrics/results-file.js';
import { ServebenchError } from '../../src/errors.js';
import { emptyWorkloadInterval, type IntervalRecord } from '../../src/metrics/records.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-records-'));

function interval(edit: (w: Record<string, unknown>) => void = () => undefined): string {
  const w = emptyWorkloadInterval() as unknown as Record<string, unknown>;
  w.sent = 2;
  w.ok = 2;
  w.hist = { latency: 'HISTFAAAAB14nJNpmSzMwMDAyAABzFCaEUoDAA0LAHs=' };
  edit(w);
  const r: IntervalRecord = { type: 'interval', shard: '0/1', worker: 0, index: 0, workloads: [w as never], health: { elu: 0.1 } };
  return JSON.stringify(r);
}

function fails(lines: string[]): string {
  const f = join(dir, `r${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(f, lines.join('\n') + '\n');
  try {
    readRecords(f);
  } catch (e) {
    expect(e).toBeInstanceOf(ServebenchError);
    expect((e as ServebenchError).exitCode).toBe(2);
    return (e as ServebenchError).message.replace(f, 'FILE');
  }
  return 'read';
}

describe('servebench report trusts no hand-edited record', () => {
  it('reads valid records and names the line and field of a bad one', () => {
    expect(fails([interval(), interval()])).toBe('read');
    expect(fails([interval(), interval((w) => (w.hist = { latency: 'not base64!' }))])).toBe('FILE:2: workloads[0].hist.latency: expected an encoded histogram (base64)');
    expect(fails([interval((w) => (w.sent = '2'))])).toMatch(/^FILE:1: workloads\[0\]\.sent: .*\(got "2"\)$/);
    expect(fails([interval((w) => (w.dropped = -3))])).toMatch(/^FILE:1: workloads\[0\]\.dropped: /);
    expect(fails([interval((w) => (w.errors = { constructor: 1 }))])).toBe('FILE:1: workloads[0].errors.constructor: is not an error class');
    expect(fails([interval((w) => (w.errors = { stream_error: 1, http_503: 1 }))])).toBe('read');
    expect(fails(['{"type":"bogus"}', interval()])).toMatch(/^FILE:1: type: expected a record with type/);
    // A torn last line (a killed run) is still skipped.
    expect(fails([interval(), interval().slice(0, 40)])).toBe('read');
  });
});

describe('results.ndjson on a full disk', () => {
  it('stops at the failed write, keeps the error as E_WRITE (exit 4) naming the disk, and never throws', () => {
    if (!existsSync('/dev/full')) return;
    const sink = new NdjsonSink('/dev/full');
    expect(sink.write(JSON.parse(interval()))).toBe(false);
    expect(sink.write(JSON.parse(interval()))).toBe(false);
    sink.close();
    expect(sink.failure?.exitCode).toBe(4);
    expect(sink.failure?.message).toBe('could not write full: the disk holding /dev is full');
    const ok = new NdjsonSink(join(dir, 'ok.ndjson'));
    expect(ok.write(JSON.parse(interval()))).toBe(true);
    ok.close();
    expect(readFileSync(join(dir, 'ok.ndjson'), 'utf8').split('\n')).toHaveLength(2);
  });
});
