import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAnswerProblem, startRun } from '../../src/engine/coordinator.js';
import type { Progress } from '../../src/metrics/progress.js';
import { startMock, type MockServer } from '../../src/mock/index.js';
import { cmdRun } from '../../src/cli/run.js';
import type { Out } from '../../src/cli/out.js';
import { ServebenchError } from '../../src/errors.js';
import { scenario } from '../helpers/scenario.js';

let mock: MockServer | null = null;
afterEach(async () => {
  await mock?.close();
  mock = null;
});

const quiet = (): Out & { text: string[] } => {
  const text: string[] = [];
  return { out: (l) => text.push(l), err: (l) => text.push(l), tty: false, text };
};

describe('the check request before the load', () => {
  it('names the route it tried on a 404, and a refused key as refused, not as missing', async () => {
    mock = await startMock({ serviceTime: 0, apiKeys: ['right'], deployments: [{ project: 'test', deployment: 'fraud', models: [] }] });
    const warningsOf = async (target: Record<string, unknown>) => {
      const warnings: string[] = [];
      await startRun(scenario({ target: { url: mock!.url, ...target }, load: { rps: 5, durationMs: 1000 } }), { onWarning: (m) => warnings.push(m) }).done;
      return warnings.filter((w) => /check request/.test(w));
    };
    const noRoute = await warningsOf({ apiKey: 'right', deployment: 'nope' });
    expect(noRoute).toHaveLength(1);
    expect(noRoute[0]).toMatch(/^no route for test\/nope: the check request GET http:\/\/127\.0\.0\.1:\d+\/v1\/test\/nope\/v1\/models\/fraud answered 404/);
    const wrongKey = await warningsOf({ apiKey: 'wrong' });
    expect(wrongKey).toHaveLength(1);
    expect(wrongKey[0]).toMatch(/^the key in target\.apiKey was refused.* answered 40[13]/);
    expect(wrongKey[0]).not.toMatch(/is target\.apiKey set/);
    expect(await warningsOf({ apiKey: 'right' })).toEqual([]);
  }, 30_000);

  it('says which of a missing and a refused key it was, and the Host of host routing', () => {
    const s = (over: Record<string, unknown>) => scenario({ target: over });
    expect(checkAnswerProblem(401, s({ apiKey: undefined }), 'http://gw/x', undefined)).toMatch(/no API key is set: set target\.apiKey or target\.apiKeyFile/);
    expect(checkAnswerProblem(403, s({ apiKey: 'k' }), 'http://gw/x', undefined)).toMatch(/^the key in target\.apiKey was refused for test\/fraud: .* 403 Forbidden/);
    expect(checkAnswerProblem(404, s({ routing: 'host' }), 'http://gw/v1/models/fraud', 'fraud.test.hopsworks.ai')).toMatch(/GET http:\/\/gw\/v1\/models\/fraud \(Host: fraud\.test\.hopsworks\.ai\) answered 404/);
    expect(checkAnswerProblem(200, s({}), 'http://gw/x', undefined)).toBeNull();
  });

  it('leaves no results folder behind when the check fails before the run starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-check-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      ['name: unreachable', 'target: { url: "http://127.0.0.1:1", deployment: fraud, connectTimeout: 2s }', 'workloads:', '  - { name: w, kind: predict, model: fraud, body: { instances: [[1]] } }', 'load: { rps: 5, duration: 1s }'].join('\n'),
    );
    const out = join(dir, 'out');
    await expect(cmdRun(file, { out, quiet: true }, quiet())).rejects.toSatisfy((e) => e instanceof ServebenchError && e.code === 'E_TARGET');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  }, 30_000);
});

describe('the progress of a run', () => {
  it('has a line per second of the window only, and no percentile for a second without completions', async () => {
    mock = await startMock({ serviceTime: 1200, auth: false });
    const seen: Progress[] = [];
    await startRun(scenario({ target: { url: mock.url }, load: { rps: 5, durationMs: 2000 } }), { onProgress: (p) => seen.push(p) }).done;
    expect(seen.map((p) => p.second)).toEqual([0, 1]);
    // Sent at 0-800 ms and held 1.2 s: nothing completes in second 0.
    expect(seen[0].latencyP50Ms).toBeNull();
    expect(seen[0].latencyP99Ms).toBeNull();
    expect(seen[1].latencyP50Ms).toBeGreaterThan(1000);
  }, 30_000);
});
