import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REQUEST_COLUMNS, REQUEST_HEADER, csvField, splitRow, usField, countField } from '../../src/metrics/request-rows.js';
import { checkRequestsFile, readRequestsText, rowProblem } from '../../src/metrics/requests-read.js';
import { RequestsFile } from '../../src/report/requests-file.js';
import { RequestLog, type RequestsMessage } from '../../src/engine/request-log.js';
import type { Ctx } from '../../src/engine/request-context.js';
import type { WlState } from '../../src/engine/workload-state.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sb-reqf-'));
const ROW = 'w,3,10,20,30,,40,200,,5,6,,1';

describe('row format', () => {
  it('quotes a workload name only when it must, and splits it back', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(splitRow(`${csvField('a,"b"')},1,2`)).toEqual(['a,"b"', '1', '2']);
    expect(splitRow(ROW)).toHaveLength(REQUEST_COLUMNS.length);
  });

  it('times are integer µs from the base; unknown instants and counts are empty', () => {
    expect(usField(1012.3456, 1000)).toBe('12346');
    expect(usField(NaN, 1000)).toBe('');
    expect(countField(-1)).toBe('');
    expect(countField(0)).toBe('0');
  });

  it('a row is checked: field count, integers, intended <= sent <= done', () => {
    expect(rowProblem(splitRow(ROW))).toBeNull();
    expect(rowProblem(splitRow('w,3,10,,,,40,0,connect,,,,1'))).toBeNull();
    expect(rowProblem(['w', '1'])).toMatch(/expected 13 fields, got 2/);
    expect(rowProblem(splitRow('w,3,10,5,30,,40,200,,5,6,,1'))).toMatch(/times out of order: intended 10, sent 5/);
    expect(rowProblem(splitRow('w,x,10,20,30,,40,200,,5,6,,1'))).toMatch(/slot is not an integer/);
  });
});

describe('RequestLog (worker side)', () => {
  const wl = { prep: { index: 0, name: 'a,b', stream: false } } as unknown as WlState;
  const ctx = (slot: number) =>
    ({ wl, slot, intended: 1001, sentAt: 1002, headAt: 1003.5, status: 200, inputTokens: 7, outputTokens: -1, response: { sse: null } }) as unknown as Ctx;

  it('formats one row per request and posts batches of 1024 rows, then the rest on flush', () => {
    const posted: RequestsMessage[] = [];
    const log = new RequestLog({ postMessage: (m: RequestsMessage) => posted.push(m) } as never, 3, [wl]);
    log.baseMs = 1000;
    for (let i = 0; i < 1030; i++) log.add(ctx(i), i === 0 ? 'timeout' : null, 1010);
    expect(posted).toHaveLength(1);
    expect(posted[0].rows).toBe(1024);
    log.flush();
    log.flush();
    expect(posted.map((m) => m.rows)).toEqual([1024, 6]);
    const first = posted[0].text.split('\n')[0];
    expect(first).toBe('"a,b",0,1000,2000,3500,,10000,200,timeout,7,,,1');
    expect(posted[0].worker).toBe(3);
  });
});

describe('RequestsFile (coordinator side)', () => {
  it('writes the header, then one gzip member per batch: one valid gzip file, in order', async () => {
    const path = join(tmp(), 'requests.csv.gz');
    const f = new RequestsFile(path);
    f.start();
    for (let b = 0; b < 5; b++) f.requests(`w,${b},10,20,30,,40,200,,5,6,,1\n`);
    await f.closed();
    expect(f.batches).toBe(6);
    const text = gunzipSync(readFileSync(path)).toString();
    expect(text.split('\n').slice(1, 6).map((l) => splitRow(l)[1])).toEqual(['0', '1', '2', '3', '4']);
    expect(checkRequestsFile(path).rows).toBe(5);
  });

  it('a torn last member (a killed run) keeps every whole row before it', () => {
    const path = join(tmp(), 'requests.csv.gz');
    const rows = Array.from({ length: 50 }, (_, i) => `w,${i},10,20,30,,40,200,,5,6,,1\n`).join('');
    writeFileSync(path, Buffer.concat([gzipSync(REQUEST_HEADER), gzipSync(rows)]));
    const torn = gzipSync(rows);
    appendFileSync(path, torn.subarray(0, torn.length - 12));
    const text = readRequestsText(path);
    expect(text.endsWith('\n')).toBe(true);
    expect(checkRequestsFile(path).rows).toBeGreaterThanOrEqual(50);
  });

  it('a bad row is named by file and line', () => {
    const path = join(tmp(), 'requests.csv.gz');
    writeFileSync(path, gzipSync(REQUEST_HEADER + ROW + '\nw,1,50,20,30,,40,200,,5,6,,1\n'));
    expect(() => checkRequestsFile(path)).toThrow(/requests\.csv\.gz:3: times out of order/);
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk: told once, exit code 4, the run goes on', async () => {
    const told: string[] = [];
    const f = new RequestsFile('/dev/full', (m) => told.push(m));
    f.start();
    f.requests(ROW + '\n');
    f.requests(ROW + '\n');
    await f.closed();
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/could not write .*: the disk holding \/dev is full/);
    expect(f.failure!.exitCode).toBe(4);
  });
});
