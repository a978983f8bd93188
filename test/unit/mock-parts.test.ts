import { describe, expect, it } from 'vitest';
import { mockConfigFrom } from '../../src/mock/index.js';
import { ApiKeyAuth } from '../../src/mock/auth.js';
import { CorsPolicy } from '../../src/mock/cors.js';
import { errorInjector, StallGate } from '../../src/mock/faults.js';
import type { Exchange } from '../../src/mock/handler.js';
import { inferAnswer, predictAnswer } from '../../src/mock/kserve.js';
import { classifyPath, Meta, Route } from '../../src/mock/routes.js';
import { DeploymentRouter, upstreamPath } from '../../src/mock/routing.js';
import { StatsCounter } from '../../src/mock/stats.js';

function classified(path: string): { route: number; model: string; meta: number } {
  const ex = { route: Route.NotFound, model: '', meta: 0 } as Exchange;
  classifyPath(ex, path);
  return { route: ex.route, model: ex.model, meta: ex.meta };
}

describe('classifyPath', () => {
  it('names the request kind and model of each upstream path', () => {
    expect(classified('/v1/models/fraud:predict')).toEqual({ route: Route.Predict, model: 'fraud', meta: 0 });
    expect(classified('/v1/models/a%20b:classify')).toEqual({ route: Route.Classify, model: 'a b', meta: 0 });
    expect(classified('/v1/models/m:regress').route).toBe(Route.Regress);
    expect(classified('/v1/models/m')).toEqual({ route: Route.Model, model: 'm', meta: Meta.V1 });
    expect(classified('/v2/models/m')).toEqual({ route: Route.Model, model: 'm', meta: Meta.V2Meta });
    expect(classified('/v2/models/m/ready')).toEqual({ route: Route.Model, model: 'm', meta: Meta.V2Ready });
    expect(classified('/v2/models/m/infer')).toEqual({ route: Route.Infer, model: 'm', meta: 0 });
    expect(classified('/v2/models/m/versions/3/infer')).toEqual({ route: Route.Infer, model: 'm', meta: 0 });
    expect(classified('/v1/chat/completions').route).toBe(Route.Chat);
    expect(classified('/v1/completions').route).toBe(Route.Completion);
    expect(classified('/v2/health/live')).toEqual({ route: Route.Model, model: '', meta: Meta.Live });
    expect(classified('/v2/health/ready')).toEqual({ route: Route.Model, model: '', meta: Meta.Ready });
  });

  it('leaves unknown paths NotFound', () => {
    for (const p of ['', '/', '/v1/models/', '/v1/models/a/b', '/v1/models/m:explain', '/v2/models/', '/v2/models/m/foo', '/v2/models/m/versions/1', '/metrics']) {
      expect(classified(p).route, p).toBe(Route.NotFound);
    }
  });

  it('keeps a malformed percent escape as it is', () => {
    expect(classified('/v1/models/%zz:predict').model).toBe('%zz');
  });
});

describe('DeploymentRouter', () => {
  const router = new DeploymentRouter(
    mockConfigFrom({ deployments: [{ project: 'proj_x', deployment: 'My-LLM' }, { project: 'demo', deployment: 'fraud' }], knativeDomain: 'Example.com' }),
  );

  it('routes by Host header, ignoring port and case, in both spellings of the project', () => {
    expect(router.byHostHeader('fraud.demo.example.com')?.deployment).toBe('fraud');
    expect(router.byHostHeader('FRAUD.Demo.example.com:8080')?.deployment).toBe('fraud');
    expect(router.byHostHeader('my-llm.proj_x.example.com')?.project).toBe('proj_x');
    expect(router.byHostHeader('my-llm.proj-x.example.com')?.project).toBe('proj_x');
    expect(router.byHostHeader('127.0.0.1:8080')).toBeUndefined();
    expect(router.byHostHeader('[::1]:8080')).toBeUndefined();
    expect(router.byHostHeader(undefined)).toBeUndefined();
  });

  it('routes by /v1/<project>/<deployment> and strips that prefix', () => {
    expect(router.byPathPrefix('/v1/demo/fraud/v1/models/fraud:predict')?.deployment).toBe('fraud');
    expect(router.byPathPrefix('/v1/demo/fraud')?.deployment).toBe('fraud');
    expect(router.byPathPrefix('/v1/demo/other/x')).toBeUndefined();
    expect(router.byPathPrefix('/v2/demo/fraud/x')).toBeUndefined();
    expect(router.byPathPrefix('/v1//fraud')).toBeUndefined();
    expect(upstreamPath('/v1/demo/fraud/v1/models/fraud:predict')).toBe('/v1/models/fraud:predict');
    expect(upstreamPath('/v1/demo/fraud')).toBe('');
  });

  it('gives a deployment without a model list the deployment name as its default model', () => {
    const dep = router.byPathPrefix('/v1/demo/fraud');
    expect(dep?.modelSet).toBeNull();
    expect(dep?.defaultModel).toBe('fraud');
  });
});

describe('CorsPolicy', () => {
  it('allows exact origins and globs, case-insensitive for globs', () => {
    const cors = new CorsPolicy(['https://app.example.com', 'https://*.example.org']);
    expect(cors.allows('https://app.example.com')).toBe(true);
    expect(cors.allows('https://a.b.EXAMPLE.org')).toBe(true);
    expect(cors.allows('https://example.org')).toBe(false);
    expect(cors.allows('https://app.example.com.evil')).toBe(false);
    expect(new CorsPolicy(['*']).allows('https://anything')).toBe(true);
    expect(new CorsPolicy([]).allows('https://anything')).toBe(false);
  });
});

describe('ApiKeyAuth', () => {
  it('refuses a missing or malformed key with 401 and a wrong one with 403', () => {
    const auth = new ApiKeyAuth(true, ['k1']);
    expect(auth.check(undefined)?.status).toBe(401);
    expect(auth.check('Bearer k1')?.status).toBe(401);
    expect(auth.check('ApiKey')?.status).toBe(401);
    expect(auth.check(undefined)?.extra).toEqual(['www-authenticate', 'ApiKey']);
    expect(auth.check('ApiKey k2')?.status).toBe(403);
    expect(auth.check('apikey  k1 ')).toBeUndefined();
  });

  it('takes any key without a key list, and anything when disabled', () => {
    expect(new ApiKeyAuth(true, []).check('ApiKey whatever')).toBeUndefined();
    expect(new ApiKeyAuth(true, []).check(undefined)?.status).toBe(401);
    expect(new ApiKeyAuth(false, ['k1']).check(undefined)).toBeUndefined();
  });
});

describe('faults', () => {
  it('draws from the random source only when the error rate is above 0', () => {
    let draws = 0;
    const rand = (): number => (draws++ % 2 === 0 ? 0.1 : 0.9);
    const never = errorInjector(0, rand);
    expect([never(), never()]).toEqual([false, false]);
    expect(draws).toBe(0);
    const some = errorInjector(0.5, rand);
    expect([some(), some(), some()]).toEqual([true, false, true]);
    expect(draws).toBe(3);
  });

  it('runs writes at once without a stall window', () => {
    const gate = new StallGate(undefined);
    gate.start();
    const ran: number[] = [];
    gate.gate(() => ran.push(1));
    expect(gate.enabled).toBe(false);
    expect(ran).toEqual([1]);
    expect(new StallGate({ afterMs: 0, forMs: 0 }).enabled).toBe(false);
  });

  it('holds writes during the stall window and flushes them in order', async () => {
    const gate = new StallGate({ afterMs: 0, forMs: 30 });
    gate.start();
    const ran: number[] = [];
    const t0 = performance.now();
    let flushedAt = 0;
    const done = new Promise<void>((resolve) => {
      gate.gate(() => ran.push(1));
      gate.gate(() => ran.push(2));
      gate.gate(() => {
        flushedAt = performance.now() - t0;
        resolve();
      });
    });
    expect(ran).toEqual([]);
    await done;
    expect(ran).toEqual([1, 2]);
    expect(flushedAt).toBeGreaterThanOrEqual(29);
    gate.gate(() => ran.push(3)); // after the window: at once
    expect(ran).toEqual([1, 2, 3]);
  });

  it('drops held writes and stops holding once closed', () => {
    const gate = new StallGate({ afterMs: 0, forMs: 10_000 });
    gate.start();
    const ran: number[] = [];
    gate.gate(() => ran.push(1));
    gate.close();
    gate.gate(() => ran.push(2));
    expect(ran).toEqual([2]);
  });
});

describe('KServe answers', () => {
  it('predicts one value per row and reuses the body for the same row count', () => {
    const predict = predictAnswer();
    const a = predict('m', { instances: [[1], [2], [3]] });
    expect(JSON.parse(String(a))).toEqual({ predictions: [0, 1, 0] });
    expect(predict('m', { inputs: [[4], [5], [6]] })).toBe(a);
    expect(JSON.parse(String(predict('m', { inputs: { a: [[1], [2]], b: [1, 2] } })))).toEqual({ predictions: [0, 1] });
    expect(predict('m', { nothing: 1 })).toEqual({ error: 'Invalid input format: expected "instances" or "inputs" to be a list' });
    const big = { instances: new Array(5000).fill(0) };
    expect(predict('m', big)).not.toBe(predict('m', big)); // not kept above 4096 rows
  });

  it('answers V2 infer with as many rows as the first input, keeping the request id', () => {
    const r = inferAnswer('m', { id: 'r1', inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [] }] });
    expect(JSON.parse(String(r))).toEqual({
      model_name: 'm',
      model_version: null,
      id: 'r1',
      parameters: null,
      outputs: [{ name: 'output-0', shape: [2], datatype: 'FP32', parameters: null, data: [0, 1] }],
    });
    expect(inferAnswer('m', { inputs: [{ name: 'x', shape: [-1] }] })).toEqual({ error: 'inputs[0].shape must be a list of non-negative integers' });
  });
});

describe('StatsCounter', () => {
  it('reports only the routes seen, statuses in order, and resets', () => {
    const s = new StatsCounter();
    s.requests += 3;
    s.routes[Route.Predict] += 2;
    s.routes[Route.Unrouted]++;
    s.status(404);
    s.status(200);
    s.status(200);
    s.routed(true);
    s.routed(false);
    s.tokens += 7;
    const snap = s.snapshot();
    expect(snap).toEqual({ requests: 3, byRoute: { predict: 2, unrouted: 1 }, byStatus: { '200': 2, '404': 1 }, byRouting: { path: 1, host: 1 }, tokensSent: 7 });
    s.reset();
    expect(s.snapshot()).toEqual({ requests: 0, byRoute: {}, byStatus: {}, byRouting: { path: 0, host: 0 }, tokensSent: 0 });
  });
});
