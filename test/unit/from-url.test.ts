import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServebenchError } from '../../src/errors.js';
import { parseHostName, parseInferenceUrl } from '../../src/scenario/from-url.js';
import { loadQuick, printQuick, type QuickFlags } from '../../src/workload/one-liner.js';
import { parseScenarioText } from '../../src/workload/scenario.js';

const GW = 'https://gw.example.com';

function usageError(fn: () => unknown): ServebenchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServebenchError);
    return e as ServebenchError;
  }
  throw new Error('expected a ServebenchError');
}

describe('parseInferenceUrl', () => {
  it.each([
    ['/v1/my_project/fraud/v1/models/fraud:predict', 'predict', 'fraud'],
    ['/v1/my_project/fraud/v1/models/fraud:classify', 'classify', 'fraud'],
    ['/v1/my_project/fraud/v1/models/fraud:regress', 'regress', 'fraud'],
    ['/v1/my_project/fraud/v2/models/fraud-v2/infer', 'infer', 'fraud-v2'],
    ['/v1/my_project/fraud/v1/chat/completions', 'chat', undefined],
    ['/v1/my_project/fraud/v1/completions', 'completion', undefined],
    ['/v1/my_project/fraud/v1', 'chat', undefined],
  ])('reads %s as %s', (path, kind, model) => {
    const t = parseInferenceUrl(GW + path);
    expect(t).toEqual({ origin: GW, routing: 'path', project: 'my_project', deployment: 'fraud', kind, model });
  });

  it('keeps the port and drops a trailing slash', () => {
    const t = parseInferenceUrl('http://127.0.0.1:8080/v1/p/d/v1/chat/completions/');
    expect(t.origin).toBe('http://127.0.0.1:8080');
    expect(t.kind).toBe('chat');
  });

  it('reads project, deployment and domain from --host for a host-routed deployment', () => {
    const t = parseInferenceUrl(`${GW}/v1/models/fraud:predict`, 'fraud.my-project.hopsworks.ai');
    expect(t).toEqual({ origin: GW, routing: 'host', project: 'my-project', deployment: 'fraud', knativeDomain: 'hopsworks.ai', kind: 'predict', model: 'fraud' });
  });

  it('reads an embeddings URL as kind embedding (path and host routing)', () => {
    expect(parseInferenceUrl(`${GW}/v1/p/d/v1/embeddings`)).toEqual({ origin: GW, routing: 'path', project: 'p', deployment: 'd', kind: 'embedding' });
    expect(parseInferenceUrl(`${GW}/v1/embeddings`, 'emb.p.hopsworks.ai')).toMatchObject({ routing: 'host', deployment: 'emb', kind: 'embedding' });
  });

  it.each([
    ['not a url', /--url: 'not a url' is not a URL/],
    ['ftp://gw/v1/p/d/v1/chat/completions', /is not http\(s\)/],
    [`https://u:pw@gw/v1/p/d/v1/chat/completions`, /user name or password/],
    [`${GW}/v1/p/d/v1/models/m:predict?x=1`, /query or fragment/],
    [`${GW}/v1/models/fraud:predict`, /no \/v1\/<project>\/<deployment>\/ prefix/],
    [`${GW}/v1/chat/completions`, /no \/v1\/<project>\/<deployment>\/ prefix/],
    [`${GW}/v1/p/d`, /names no endpoint/],
    [`${GW}/v1/p/d/v1/models/m:explain`, /names no endpoint/],
    [`${GW}/v1/p/d/v2/models/m/versions/2/infer`, /model version/],
    [`${GW}/v1/p%E0%A4%A/d/v1/chat/completions`, /badly escaped part 'p%E0%A4%A'/],
    [`${GW}/v1/p/d/v1/models/%E0%A4%A:predict`, /badly escaped part/],
  ])('refuses %s naming --url', (url, re) => {
    const e = usageError(() => parseInferenceUrl(url));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toMatch(/^--url: /);
    expect(e.message).toMatch(re);
  });

  it('refuses a --host that is not deployment.project.domain', () => {
    expect(usageError(() => parseHostName('fraud.hopsworks')).message).toMatch(/^--host: 'fraud.hopsworks' is not <deployment>.<project>.<domain>/);
    expect(usageError(() => parseHostName('fr aud.p.ai')).message).toMatch(/^--host:/);
  });
});

const PREDICT = `${GW}/v1/my_project/fraud/v1/models/fraud:predict`;
const CHAT = `${GW}/v1/my_project/my-llm/v1/chat/completions`;
const BODY = '{"inputs":[[4641025220953719,4920355418495856]]}';

function quick(flags: QuickFlags, sets: string[] = [], env: Record<string, string> = {}) {
  return loadQuick({ flags, sets, env });
}

describe('the --url one-liner', () => {
  it('builds the predict scenario a file would give', () => {
    const { scenario } = quick({ url: PREDICT, rps: '100', duration: '30s', warmup: '2s', body: BODY, apiKeyEnv: 'SB_KEY' }, [], { SB_KEY: 'k-123456' });
    expect(scenario.target).toMatchObject({ url: GW, project: 'my_project', deployment: 'fraud', routing: 'path', apiKey: 'k-123456', embedded: false });
    expect(scenario.workloads).toHaveLength(1);
    expect(scenario.workloads[0]).toMatchObject({ kind: 'predict', model: 'fraud', bodies: [{ inputs: [[4641025220953719, 4920355418495856]] }] });
    expect(scenario.load).toMatchObject({ type: 'constant', rps: 100, durationMs: 30_000, warmupMs: 2000 });
    expect(scenario.file).toBe('');
  });

  it('builds a chat scenario: model defaults to the deployment, tokens and stream from the flags', () => {
    const a = quick({ url: CHAT, rps: '2', inputTokens: '300', outputTokens: '50', stream: false }).scenario.workloads[0];
    expect(a).toMatchObject({ kind: 'chat', model: 'my-llm', stream: false });
    expect(a.prompt?.inputTokens).toEqual({ type: 'fixed', value: 300 });
    expect(a.prompt?.outputTokens).toEqual({ type: 'fixed', value: 50 });
    expect(quick({ url: CHAT, rps: '2', model: 'meta/llama' }).scenario.workloads[0].model).toBe('meta/llama');
  });

  it('--concurrency makes a closed-loop run', () => {
    const { scenario } = quick({ url: CHAT, concurrency: '4', duration: '10s' });
    expect(scenario.load).toMatchObject({ type: 'concurrency', concurrency: 4, durationMs: 10_000 });
  });

  it('the printed scenario, run from a file, resolves to the same scenario', () => {
    const flags: QuickFlags = { url: PREDICT, rps: '50', duration: '1m', body: BODY, apiKeyEnv: 'SB_KEY' };
    const env = { SB_KEY: 'k-123456' };
    const text = printQuick({ flags, sets: ['load.workers=2'], env });
    expect(text).toContain('apiKey: ${SB_KEY}');
    expect(text).not.toContain('k-123456');
    const fromFile = parseScenarioText(text, '', { env }).scenario;
    expect(fromFile).toEqual(quick(flags, ['load.workers=2'], env).scenario);
    expect(fromFile.load.workers).toBe(2);
  });

  it('prints without the API key variable being set', () => {
    expect(printQuick({ flags: { url: CHAT, rps: '1', apiKeyEnv: 'NOT_SET_ANYWHERE' }, sets: [], env: {} })).toContain('${NOT_SET_ANYWHERE}');
  });

  it('names the flag behind each problem, and the --set entry by its own index', () => {
    const e = usageError(() => quick({ url: CHAT, rps: '-2', duration: '60', inputTokens: 'x' }, ['load.workers=0']));
    expect(e.code).toBe('E_SCENARIO');
    expect(e.exitCode).toBe(2);
    const byFile = Object.fromEntries(e.problems.map((p) => [p.file, p]));
    expect(byFile['--rps'].message).toBe('expected a number > 0, got -2');
    expect(byFile['--duration'].message).toMatch(/a bare number has no unit/);
    expect(byFile['--input-tokens'].path).toBe('workloads[0].prompt.inputTokens');
    expect(byFile['--set']).toMatchObject({ col: 1, path: 'load.workers' });
  });

  it('names the flag of a missing API key variable', () => {
    const e = usageError(() => quick({ url: CHAT, rps: '1', apiKeyEnv: 'SB_MISSING' }, [], {}));
    expect(e.problems.map((p) => `${p.file} ${p.message}`)).toEqual(['--api-key-env environment variable SB_MISSING is not set']);
  });

  it.each<[QuickFlags, RegExp]>([
    [{ url: PREDICT, rps: '1' }, /--url names a predict endpoint: give the request body with --body JSON or --bodies FILE/],
    [{ url: CHAT }, /--url needs a load: --rps N .* or --concurrency N/],
    [{ url: CHAT, rps: '1', concurrency: '2' }, /^--rps and --concurrency: give one/],
    [{ url: PREDICT, rps: '1', body: '{nope' }, /^--body: not JSON/],
    [{ url: PREDICT, rps: '1', body: '{}', bodies: 'x.jsonl' }, /^--body and --bodies: give one/],
    [{ url: CHAT, rps: '1', apiKeyEnv: 'my key' }, /^--api-key-env: 'my key' is not an environment variable name/],
    [{ host: 'a.b.c', rps: '1' }, /^--host goes with --url/],
  ])('refuses %o with a usage error naming the flag', (flags, re) => {
    const e = usageError(() => quick(flags));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toMatch(re);
  });

  it('reads --bodies relative to the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-url-'));
    const file = join(dir, 'b.jsonl');
    writeFileSync(file, '{"inputs":[[1]]}\n{"inputs":[[2]]}\n');
    expect(quick({ url: PREDICT, rps: '1', bodies: file }).scenario.workloads[0].bodies).toEqual([{ inputs: [[1]] }, { inputs: [[2]] }]);
  });
});

describe('a scenario file with --url', () => {
  const FILE = `name: file-run
target:
  url: embedded
  deployment: other
  timeout: 5s
  mock: { serviceTime: 1 }
workloads:
  - name: w
    kind: predict
    model: m
    body: { instances: [[1]] }
load:
  rps: 10
  duration: 5s
`;

  it('--url overrides target; the rest of the file and its target settings stay, the mock settings go', () => {
    const { scenario } = loadQuick({ file: { path: 'x.yaml', text: FILE }, flags: { url: PREDICT, rps: '20' }, sets: [] });
    expect(scenario.target).toMatchObject({ url: GW, embedded: false, project: 'my_project', deployment: 'fraud', routing: 'path', timeoutMs: 5000 });
    expect(scenario.workloads[0]).toMatchObject({ name: 'w', model: 'm' });
    expect(scenario.load.rps).toBe(20);
  });

  it('problems in the file keep their file:line; --set keeps its index after the flags', () => {
    const bad = FILE.replace('rps: 10', 'rps: ten');
    const e = usageError(() => loadQuick({ file: { path: 'x.yaml', text: bad }, flags: { url: PREDICT }, sets: ['load.warmup=1'] }));
    expect(e.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}`).sort()).toEqual(['--set:1:1 load.warmup', 'x.yaml:13:8 load.rps']);
  });

  it('refuses the workload flags: the file has its own workloads', () => {
    const e = usageError(() => loadQuick({ file: { path: 'x.yaml', text: FILE }, flags: { url: PREDICT, model: 'x', body: '{}' }, sets: [] }));
    expect(e.message).toMatch(/^--model, --body: only for a run without a scenario file/);
  });
});
