/**
 * `servebench run --url …`: the one-liner end to end, the built CLI against a mock on port 0.
 * The CLI runs as a child process with an async spawn, so this process's mock can answer it.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMock, type MockServer } from '../../src/mock/index.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const KEY = 'one-liner-key-0123';

async function servebench(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await promisify(execFile)(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 90_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { status: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const REPORT_SET = ['summary.json', 'summary.csv', 'timeseries.csv', 'results.ndjson', 'report.html'];

describe('run --url against a port-0 gateway', () => {
  let mock: MockServer;
  beforeAll(async () => {
    mock = await startMock({
      serviceTime: 1,
      apiKeys: [KEY],
      deployments: [
        { project: 'my_project', deployment: 'fraud', models: ['fraud'] },
        { project: 'my_project', deployment: 'my-llm', models: [] },
        { project: 'my_project', deployment: 'embedder', models: [] },
      ],
      llm: { prefillMsPerToken: 0, decodeMsPerToken: 1 },
    });
  });
  afterAll(() => mock.close());

  it('predict: the pasted URL, a body and a rate give the report set of a file run', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sb-url-')), 'run');
    const url = `${mock.url}/v1/my_project/fraud/v1/models/fraud:predict`;
    const r = await servebench(
      ['run', '--url', url, '--api-key-env', 'SB_TEST_KEY', '--rps', '20', '--duration', '2s', '--warmup', '0s', '--body', '{"inputs":[[4641025220953719,4920355418495856]]}', '--out', out, '--quiet'],
      { SB_TEST_KEY: KEY },
    );
    expect(r.status, r.stderr).toBe(0);
    for (const f of REPORT_SET) expect(existsSync(join(out, f)), f).toBe(true);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.scenario.name).toBe('fraud');
    expect(s.target.routing).toBe('path');
    expect(s.workloads[0]).toMatchObject({ name: 'fraud', kind: 'predict' });
    expect(s.totals.sent).toBe(40);
    expect(s.totals.ok).toBe(40);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).not.toContain(KEY);
  });

  it('chat: model, token counts and a rate; streamed tokens are measured', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sb-url-')), 'run');
    const url = `${mock.url}/v1/my_project/my-llm/v1/chat/completions`;
    const r = await servebench(
      ['run', '--url', url, '--api-key-env', 'SB_TEST_KEY', '--rps', '5', '--duration', '2s', '--warmup', '0s', '--model', 'my-llm', '--input-tokens', '32', '--output-tokens', '8', '--set', 'workloads[0].ignoreEos=true', '--out', out, '--quiet'],
      { SB_TEST_KEY: KEY },
    );
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.workloads[0]).toMatchObject({ name: 'my-llm', kind: 'chat' });
    expect(s.totals.errors).toBe(0);
    expect(s.totals.ok).toBe(10);
    expect(s.metrics.ttft.count).toBe(10);
    expect(s.totals.outputTokens).toBe(80);
  });

  it('embeddings: --url …/v1/embeddings runs kind embedding, input tokens from usage, no token timings', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sb-url-')), 'run');
    const url = `${mock.url}/v1/my_project/embedder/v1/embeddings`;
    const r = await servebench(['run', '--url', url, '--api-key-env', 'SB_TEST_KEY', '--rps', '5', '--duration', '2s', '--warmup', '0s', '--input-tokens', '40', '--set', 'workloads[0].batch=4', '--requests', '--out', out, '--quiet'], { SB_TEST_KEY: KEY });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.workloads[0]).toMatchObject({ name: 'embedder', kind: 'embedding' });
    expect(s.totals).toMatchObject({ ok: 10, errors: 0, outputTokens: 0 });
    expect(s.totals.inputTokens).toBeGreaterThan(0);
    expect(s.workloads[0].inputTokensPerS).toBeGreaterThan(0);
    expect(s.metrics.ttft).toBeUndefined();
    // --requests: one row per request, and `report` checks the file when it rebuilds the run
    const rows = gunzipSync(readFileSync(join(out, 'requests.csv.gz'))).toString().trimEnd().split('\n');
    expect(rows).toHaveLength(1 + 10);
    const rep = await servebench(['report', out]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stdout).toContain('requests.csv.gz: 10 requests, every row well-formed');
  });

  it('a wrong key: the check request warns, the requests fail as http_401/403, the key is printed nowhere', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sb-url-')), 'run');
    const url = `${mock.url}/v1/my_project/fraud/v1/models/fraud:predict`;
    const r = await servebench(['run', '--url', url, '--api-key-env', 'SB_TEST_KEY', '--rps', '5', '--duration', '1s', '--warmup', '0s', '--body', '{"inputs":[[1]]}', '--out', out, '--quiet'], { SB_TEST_KEY: 'wrong-key-0000' });
    expect(r.stderr).toMatch(/was refused .* answered 40[13]/);
    expect(r.stderr + r.stdout).not.toContain('wrong-key-0000');
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.totals.ok).toBe(0);
    expect((s.errors.http_401 ?? 0) + (s.errors.http_403 ?? 0)).toBe(5);
  });

  it('--print-scenario prints YAML that runs the same as a file, and exits 0 without sending', async () => {
    const url = `${mock.url}/v1/my_project/fraud/v1/models/fraud:predict`;
    const before = (await mock.statsAsync()).requests;
    const r = await servebench(['run', '--url', url, '--api-key-env', 'SB_TEST_KEY', '--rps', '10', '--duration', '1s', '--warmup', '0s', '--body', '{"inputs":[[1]]}', '--print-scenario']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: predict');
    expect(r.stdout).toContain('apiKey: ${SB_TEST_KEY}');
    expect((await mock.statsAsync()).requests).toBe(before);
    const dir = mkdtempSync(join(tmpdir(), 'sb-url-'));
    writeFileSync(join(dir, 'fraud.yaml'), r.stdout);
    const v = await servebench(['validate', join(dir, 'fraud.yaml')], { SB_TEST_KEY: KEY });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain('fraud:predict');
  });

  it('a scenario file with --url: the URL overrides target', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sb-url-')), 'run');
    const url = `${mock.url}/v1/my_project/fraud/v1/models/fraud:predict`;
    const r = await servebench(['run', 'scenarios/quickstart.yaml', '--url', url, '--api-key-env', 'SB_TEST_KEY', '--rps', '10', '--duration', '1s', '--warmup', '0s', '--out', out, '--quiet'], { SB_TEST_KEY: KEY });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.scenario.name).toBe('quickstart');
    expect(s.target.url).toBe(mock.url);
    expect(s.totals.ok).toBe(10);
  });

  it.each([
    [['run', '--rps', '5'], /run needs a scenario file or --url/],
    [['run', '--url', 'http://127.0.0.1:9/v1/p/d/v1/embeddings', '--rps', '1', '--output-tokens', '8'], /--output-tokens:1:1 +workloads\[0\]\.prompt\.outputTokens +'outputTokens' does not apply to embedding workloads/],
    [['run', '--url', 'http://127.0.0.1:9/v1/p/d/v1/chat/completions', '--rps', 'fast'], /--rps:1:1 +load\.rps +expected a number > 0, got 'fast'/],
    [['run', '--url', 'http://127.0.0.1:9/v1/p/d/v1/chat/completions', '--rps', '1', '--rps', '2'], /--rps was given 2 times/],
  ])('%o: exit 2 with the flag named', async (args, re) => {
    const r = await servebench(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
