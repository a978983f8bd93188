// Trace replay end to end: the loader reads a trace file, the coordinator packs it, two workers
// (piscina, from dist/) send each record at its own instant. Against a server on port 0 that notes
// when each request arrived (both HTTP clients), and against the embedded mock with the shipped
// scenario. Arrival times on a loaded machine are late by a few ms: they are checked in bands.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { loadScenario, parseScenarioText } from '../../src/workload/scenario.js';
import { chatStream, startLlmServer, type LlmServer } from '../helpers/llm-server.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'servebench-trace-run-'));
let server: LlmServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** 24 records 100 ms apart (as written), each with its own output length to tell them apart. */
const N = 24;
const lines = Array.from({ length: N }, (_, i) => {
  // Records 0 and 1 share block 0, and 1 extends 0's second block: 0's text is the start of 1's.
  const ids = i === 0 ? [0, 1] : i === 1 ? [0, 1, 2] : [100 + i];
  const input = i === 0 ? 1000 : i === 1 ? 1200 : 40 + i;
  return { timestamp: 5000 + i * 100, input_length: input, output_length: 10 + i, hash_ids: ids };
});
writeFileSync(path.join(tmp, 'trace.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

describe.each(['undici', 'lean'] as const)('trace replay with the %s client', (client) => {
  it('sends every record once, at its time / speed, with its lengths', async () => {
    const arrivals: number[] = [];
    server = await startLlmServer(() => {
      arrivals.push(performance.now());
      return { steps: chatStream({ times: [5, 10] }) };
    });
    const text = [
      'name: trace-test',
      'target:',
      `  url: ${server.url}`,
      '  deployment: d',
      `  client: ${client}`,
      'workloads:',
      '  - { name: w, kind: chat, model: m, stream: true, ignoreEos: true }',
      'load:',
      '  type: trace',
      '  file: trace.jsonl',
      '  format: mooncake',
      '  speed: 2',
      '  workers: 2',
      '',
    ].join('\n');
    const { scenario } = parseScenarioText(text, path.join(tmp, 's.yaml'), { env: {} });
    const { records } = await startRun(scenario).done;
    const sum = buildSummary(records);
    expect(server.count).toBe(N);
    expect(sum.totals.sent).toBe(N);
    expect(sum.totals.ok).toBe(N);

    // Which record each request was: its max_tokens is the record's output_length.
    const bodies = server.bodies as Array<{ max_tokens: number; ignore_eos: boolean; messages: Array<{ content: string }> }>;
    const record = bodies.map((b) => b.max_tokens - 10);
    expect([...record].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(bodies.every((b) => b.ignore_eos === true)).toBe(true);
    // Sent at (timestamp - first) / speed after the run's start: 50 ms apart. The start is the
    // earliest arrival less its offset (a first request that opened a connection is a little late).
    const offset = record.map((i, k) => arrivals[k] - i * 50);
    const start = Math.min(...offset);
    const late = offset.map((o) => o - start).sort((a, b) => a - b);
    // (At speed 1 the last record would be 1150 ms later than this allows.)
    expect(late[N - 1]).toBeLessThan(250);
    expect(late[N >> 1]).toBeLessThan(25);
    // Equal hash ids give equal text: record 0's prompt is the start of record 1's.
    const prompt = (i: number) => bodies[record.indexOf(i)].messages[0].content;
    expect(prompt(1).startsWith(prompt(0))).toBe(true);
    expect(prompt(2).startsWith(prompt(0).slice(0, 20))).toBe(false);
  });
});

describe('the shipped trace scenario', () => {
  it('replays all 300 requests of its sample against the embedded mock', async () => {
    const { scenario } = loadScenario('scenarios/trace-replay.yaml', { env: {}, sets: ['load.speed=8', 'load.warmup=0s'] });
    expect(scenario.load.trace!.records).toBe(300);
    const { records } = await startRun(scenario).done;
    const sum = buildSummary(records);
    expect(sum.totals.sent).toBe(300);
    expect(sum.totals.ok).toBe(300);
    expect(sum.totals.errors).toBe(0);
  });
});
