/**
 * Sweeps against the embedded mock gateway, whose capacity is known by construction:
 * predict: `slots` parallel services of exactly `serviceTime` → slots / serviceTime rps;
 * chat: `maxBatch` sequences of prefill + (outputTokens − 1) × decodeMsPerToken each (no slowdown)
 * → maxBatch / duration rps, and ttft jumps once more than maxBatch streams are in flight.
 * Steps are short (1–1.5 s) and capacities small, so a sweep takes tens of seconds.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/workload/scenario.js';
import { STEPS_FILE, startSweep } from '../../src/sweep/run.js';

const out = () => mkdtempSync(join(tmpdir(), 'sb-sweep-'));

function predictScenario(slots: number, serviceMs: number, sweep: string): string {
  return [
    'name: sweep-test',
    'target:',
    '  url: embedded',
    '  deployment: fraud',
    `  mock: { serviceTime: { type: fixed, ms: ${serviceMs} }, slots: ${slots} }`,
    'workloads:',
    '  - { name: p, kind: predict, model: fraud, body: { inputs: [[1]] } }',
    'load: { rps: 1, connections: 64 }',
    `sweep: ${sweep}`,
    '',
  ].join('\n');
}

const BATCH = 4;
const DECODE_MS = 10;
const OUTPUT_TOKENS = 20;
// Prefill of ~25 prompt tokens at 0.05 ms is ~1 ms; decode is (20 − 1) × 10 ms.
const CHAT_DURATION_MS = 1 + (OUTPUT_TOKENS - 1) * DECODE_MS;

function chatScenario(sweep: string): string {
  return [
    'name: sweep-chat',
    'target:',
    '  url: embedded',
    '  deployment: assistant',
    `  mock: { llm: { prefillMsPerToken: 0.05, decodeMsPerToken: ${DECODE_MS}, decodeSlowdownPerStream: 0, maxBatch: ${BATCH} } }`,
    'workloads:',
    `  - { name: assistant, kind: chat, model: m, prompt: { inputTokens: 20, outputTokens: ${OUTPUT_TOKENS} }, ignoreEos: true }`,
    'load: { rps: 1 }',
    `sweep: ${sweep}`,
    '',
  ].join('\n');
}

describe('sweep against the embedded mock', () => {
  it('search finds the maximum of c slots of service time S within 10 % of c/S', { timeout: 120_000 }, async () => {
    const slots = 4;
    const serviceMs = 20;
    const capacity = slots / (serviceMs / 1000); // 200 rps
    const { scenario } = parseScenarioText(
      predictScenario(slots, serviceMs, '{ mode: search, from: 50, to: 800, stepDuration: 1500ms, warmup: 500ms, precision: 5%, maxRepeats: 1, until: ["latency.p90 < 60ms", "errors.rate < 1%"] }'),
      '',
    );
    const dir = out();
    const r = await startSweep(scenario, { dir, peakRps: 2000, headroom: 0.3 }).done;
    expect(r.interrupted).toBe(false);
    expect(r.answer.unit).toBe('rps');
    expect(r.answer.maxRate).not.toBeNull();
    expect(Math.abs(r.answer.maxRate! - capacity) / capacity).toBeLessThanOrEqual(0.1);
    // Every step above the capacity failed, and the answer is a passing step.
    for (const s of r.steps) if (s.value > capacity * 1.1) expect(s.pass).toBe(false);
    expect(r.steps.find((s) => s.value === r.answer.maxRate)?.pass).toBe(true);
    // The planning note uses the completed rate at the answer.
    expect(r.planning!.perReplicaRps).toBe(r.answer.maxAchievedRps);
    expect(r.planning!.replicas).toBe(Math.ceil(2000 / (r.answer.maxAchievedRps! * 0.7)));
    // Each step was written as it finished.
    const lines = readFileSync(join(dir, STEPS_FILE), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).value)).toEqual(r.steps.map((s) => s.value));
  });

  it('a chat rate search finds where ttft breaks: maxBatch streams in flight', { timeout: 120_000 }, async () => {
    const capacity = BATCH / (CHAT_DURATION_MS / 1000); // ~20.9 rps
    const { scenario } = parseScenarioText(
      chatScenario('{ mode: search, from: 4, to: 64, stepDuration: 1500ms, warmup: 500ms, precision: 5%, maxRepeats: 1, until: ["ttft.p90 < 60ms"] }'),
      '',
    );
    const r = await startSweep(scenario, { dir: out() }).done;
    expect(r.generative).toBe(true);
    expect(r.answer.maxRate).not.toBeNull();
    expect(Math.abs(r.answer.maxRate! - capacity) / capacity).toBeLessThanOrEqual(0.15);
    const best = r.steps.find((s) => s.value === r.answer.maxRate)!;
    expect(best.ttftMs!.p90).toBeLessThan(60);
    expect(best.outputTokensPerS).toBeGreaterThan(0);
    // Little's law at the answer: rate × duration streams in flight, at most the batch.
    expect(best.meanInFlight).toBeLessThanOrEqual(BATCH + 0.5);
    expect(best.meanInFlight).toBeGreaterThan(BATCH * 0.6);
    // Above the capacity, streams queue for a batch slot and ttft breaks.
    const over = r.steps.filter((s) => s.value > capacity * 1.15);
    expect(over.length).toBeGreaterThan(0);
    for (const s of over) expect(s.pass).toBe(false);
  });

  it('a closed-loop chat ladder finds the concurrency at which ttft breaks (maxBatch)', { timeout: 120_000 }, async () => {
    const { scenario } = parseScenarioText(chatScenario('{ concurrency: [2, 3, 4, 5, 6], stepDuration: 1500ms, warmup: 500ms, maxRepeats: 1, until: ["ttft.p90 < 40ms"] }'), '');
    const r = await startSweep(scenario, { dir: out() }).done;
    expect(r.answer).toMatchObject({ unit: 'concurrency', maxRate: BATCH });
    expect(r.steps.map((s) => s.value)).toEqual([2, 3, 4, 5]);
    // Closed loop: the concurrency reached is the one asked for, and below the batch ttft is prefill.
    for (const s of r.steps) expect(s.meanInFlight).toBeGreaterThan(s.value * 0.8);
    expect(r.steps[2].ttftMs!.p90).toBeLessThan(40);
    expect(r.steps[3].pass).toBe(false);
  });
});
