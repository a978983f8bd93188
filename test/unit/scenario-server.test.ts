// The scenario's `server:` section: defaults, TLS from the target, and every problem at its line.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/workload/scenario.js';
import { ServebenchError } from '../../src/errors.js';

const base = `name: s
target: { url: 'https://gw.example:443', deployment: fraud, tls: { insecure: true } }
workloads: [{ name: p, kind: predict, model: fraud, body: { inputs: [[1]] } }]
load: { rps: 1, duration: 1s }
`;

function problems(text: string): string[] {
  try {
    parseScenarioText(text, 's.yaml', { env: {} });
  } catch (e) {
    if (e instanceof ServebenchError) return (e.problems ?? []).map((p) => `${p.line} ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('scenario server:', () => {
  it('resolves defaults: 1 s interval, a timeout of twice it (1-10 s), every series, TLS of the target', () => {
    const { scenario } = parseScenarioText(
      `${base}server:\n  metrics:\n    - url: http://10.0.0.5:8080/metrics\n    - { url: 'http://q:9091/metrics', interval: 10s, select: [revision_queue_depth], apiKey: k-1234567, tls: { insecure: false } }\n  prometheus: { url: 'http://prom:9090/', queries: { w: 'sum(x)' } }\n`,
      's.yaml',
      { env: {} },
    );
    const [a, b] = scenario.server!.metrics;
    expect(a).toEqual({ url: 'http://10.0.0.5:8080/metrics', intervalMs: 1000, timeoutMs: 2000, select: [], headers: {}, tls: { insecure: true } });
    expect(b).toMatchObject({ intervalMs: 10_000, timeoutMs: 10_000, select: ['revision_queue_depth'], apiKey: 'k-1234567', tls: { insecure: false } });
    expect(scenario.server!.prometheus).toMatchObject({ url: 'http://prom:9090', queries: { w: 'sum(x)' }, stepMs: 1000, timeoutMs: 10_000 });
  });

  it('lists every problem with its line and path', () => {
    expect(
      problems(`${base}server:\n  metrics:\n    - url: embedded\n      intervall: 1s\n    - url: 'ftp://x/metrics'\n      interval: 5\n  prometheus: { url: 'http://p:9090', queries: { a: '' } }\n`),
    ).toEqual([
      "7 server.metrics[0].url: 'embedded' scrapes the embedded mock: it needs target.url: embedded",
      "8 server.metrics[0].intervall: unknown key 'intervall'; did you mean 'interval'?",
      "9 server.metrics[1].url: expected 'embedded' or an http(s) URL with its path, like http://10.0.0.5:8000/metrics, got 'ftp://x/metrics'",
      '10 server.metrics[1].interval: expected a duration like 250ms, 30s or 2m, got 5: a bare number has no unit; write 5ms or 5s',
      "11 server.prometheus.queries.a: expected a non-empty string, got ''",
    ]);
  });
});
