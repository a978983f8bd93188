/**
 * A worker thread that dies mid-run (an uncaught throw, injected through the test-only hook in
 * src/engine/faults.ts): it is reported with its error at once and in the summary; with other
 * workers left the run goes on and says so; with none left it stops with E_WORKER and
 * results.ndjson is still closed with an end record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { WORKER_FAULT_ENV } from '../../src/engine/faults.js';
import { buildSummary } from '../../src/metrics/summary.js';
import type { RunRecord } from '../../src/metrics/records.js';
import { scenario, chatWorkload } from '../helpers/scenario.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let server: TestServer | null = null;
afterEach(async () => {
  delete process.env[WORKER_FAULT_ENV];
  await server?.close();
  server = null;
});

describe('a worker thread that dies', () => {
  it('is reported with its error, and the run goes on with the others', async () => {
    server = await startTestServer();
    process.env[WORKER_FAULT_ENV] = '1:1300';
    const warnings: string[] = [];
    const s = scenario({ target: { url: server.url }, load: { rps: 100, durationMs: 3000, workers: 2 } });
    const { records } = await startRun(s, { onWarning: (m) => warnings.push(m) }).done;
    const sum = buildSummary(records);
    expect(sum.generator.workerErrors).toEqual([{ worker: 1, code: 'E_WORKER', message: expect.stringContaining('injected fault: worker 1 crashed') }]);
    // Said as it happened, and again in the summary, with what the run did about it.
    expect(warnings.some((w) => /worker 1 failed: .*injected fault.*went on with the other 1 of 2 workers/.test(w))).toBe(true);
    expect(sum.generator.warnings.some((w) => /worker 1 failed: .*went on with the other 1 of 2 workers/.test(w))).toBe(true);
    // The surviving worker ran its whole half of the plan (slots 0, 2, 4, …): 150 requests.
    const perWorker = new Map<number, number>();
    for (const r of records) if (r.type === 'interval') perWorker.set(r.worker, (perWorker.get(r.worker) ?? 0) + r.workloads[0].sent);
    expect(perWorker.get(0)).toBe(150);
    // The dead one's finished intervals are kept: at least its first second.
    expect(perWorker.get(1)).toBeGreaterThanOrEqual(50);
    expect(perWorker.get(1)).toBeLessThan(150);
    expect(sum.totals.ok).toBeGreaterThanOrEqual(200);
    // What the dead worker had in flight has no outcome, and is said so rather than lost.
    expect(sum.totals.sent).toBe(sum.totals.ok + sum.totals.errors + sum.totals.unfinished);
  });

  it('when every worker dies the run stops with E_WORKER and results still end with an end record', async () => {
    server = await startTestServer();
    process.env[WORKER_FAULT_ENV] = '0:1300';
    const got: RunRecord[] = [];
    const s = scenario({ target: { url: server.url }, load: { rps: 50, durationMs: 3000 } });
    await expect(startRun(s, { onRecord: (r) => got.push(r) }).done).rejects.toMatchObject({ code: 'E_WORKER', exitCode: 3, message: expect.stringContaining('injected fault') });
    expect(got[0].type).toBe('start');
    expect(got.at(-1)).toMatchObject({ type: 'end', interrupted: true, workerErrors: [{ worker: 0 }] });
    const sum = buildSummary(got);
    expect(sum.totals.sent).toBeGreaterThanOrEqual(50);
    expect(sum.generator.warnings.some((w) => w.includes('every worker failed, so the run stopped'))).toBe(true);
  });

  it('a worker that cannot prepare its requests fails the run with that error and its exit code, before any load', async () => {
    server = await startTestServer();
    // Built in code, past the loader's own dataset check: the worker is the last line.
    const file = join(mkdtempSync(join(tmpdir(), 'sb-ds-')), 'broken.jsonl');
    writeFileSync(file, '{"prompt": "a"}\n{"prompt": \n');
    const s = scenario({ target: { url: server.url }, load: { rps: 10, durationMs: 1000, workers: 2 }, workloads: [chatWorkload({ prompt: undefined, dataset: file })] });
    await expect(startRun(s).done).rejects.toMatchObject({ code: 'E_DATASET', exitCode: 2, message: expect.stringMatching(/broken\.jsonl:2: not valid JSON/) });
    expect(server.count).toBe(0);
  });
});
