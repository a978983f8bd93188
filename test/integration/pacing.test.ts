/**
 * The open loop's pacing: the pump wakes about once per slot, not once per event-loop turn while
 * it waits, and its sends stay on time. Runs one worker in this thread against a local server.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import runWorker, { type WorkerResult } from '../../src/engine/worker.js';
import { scenario } from '../helpers/scenario.js';
import { startTestServer } from '../helpers/server.js';
import type { ResolvedLoad } from '../../src/scenario/types.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** One worker of a one-worker run, started 100 ms after it is ready. */
async function runOneWorker(url: string, load: Partial<ResolvedLoad>): Promise<WorkerResult> {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (m: { type: string }) => {
    if (m.type === 'ready') port1.postMessage({ type: 'start', startEpochMs: performance.timeOrigin + performance.now() + 100 });
  });
  try {
    return await runWorker({ scenario: scenario({ target: { url }, load }), worker: 0, workers: 1, shard: '', port: port2, intervalMs: 1000, maxBodyBytes: 1 << 20 });
  } finally {
    port1.close();
  }
}

describe('open-loop pacing', () => {
  it('wakes the pump a few times per slot at 500 rps, not for every turn of the event loop', async () => {
    const srv = await startTestServer();
    closers.push(() => srv.close());
    // Slots 2 ms apart: far above a wake's cost, and a gap the spin filled with setImmediate turns.
    const rps = 500;
    const durationMs = 2000;
    const r = await runOneWorker(srv.url, { rps, durationMs });
    const slots = (rps * durationMs) / 1000;
    // About one wake per slot (fewer when a late wake finds two due), and rarely one too early. The
    // spin woke tens of times per slot with nothing due, and still did on a busy machine, whenever
    // it had the core.
    expect(r.pumpRuns).toBeGreaterThan(0);
    expect(r.pumpRuns! / slots).toBeLessThan(3);
    expect(r.pumpIdleRuns! / slots).toBeLessThan(0.5);
    expect(srv.count).toBe(slots);
  });
});
