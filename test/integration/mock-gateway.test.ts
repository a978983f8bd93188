import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { performance } from 'node:perf_hooks';
import { startMock, type MockConfig, type MockServer } from '../../src/mock/index.js';

let server: MockServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(cfg: Partial<MockConfig> = {}): Promise<MockServer> {
  server = await startMock({ serviceTime: 0, apiKeys: ['secret'], ...cfg });
  return server;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
  ms: number;
}

async function call(
  path: string,
  opts: { method?: 'GET' | 'POST' | 'OPTIONS' | 'PUT'; body?: unknown; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Reply> {
  const s = server as MockServer;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== null) headers.authorization = `ApiKey ${opts.key ?? 'secret'}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const t0 = performance.now();
  const res = await request(`${s.url}${path}`, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.body.text();
  const ms = performance.now() - t0;
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text), ms };
}

const P = '/v1/test/fraud';
const HOST = { host: 'fraud.test.hopsworks.ai' };

describe('routing', () => {
  it('routes by path and by host, ignoring the port and case of the host', async () => {
    await start();
    const viaPath = await call(`${P}/v1/models/fraud`);
    expect(viaPath.status).toBe(200);
    expect(viaPath.json()).toEqual({ name: 'fraud', ready: true });
    const viaHost = await call('/v1/models/fraud', { headers: HOST });
    expect(viaHost.status).toBe(200);
    const viaHostPort = await call('/v1/models/fraud:predict', { headers: { host: 'FRAUD.Test.Hopsworks.AI:8443' }, body: { instances: [[1]] } });
    expect(viaHostPort.status).toBe(200);
    expect(server!.stats().byRouting).toEqual({ path: 1, host: 2 });
  });

  it('routes host names the way clients normalise them (project_x → project-x)', async () => {
    await start({ deployments: [{ project: 'my_project', deployment: 'fraud' }], knativeDomain: 'example.com' });
    expect((await call('/v1/models/fraud', { headers: { host: 'fraud.my-project.example.com' } })).status).toBe(200);
    expect((await call('/v1/my_project/fraud/v1/models/fraud')).status).toBe(200);
    expect((await call('/v1/models/fraud', { headers: { host: 'fraud.my-project.hopsworks.ai' } })).status).toBe(404);
  });

  it('answers an unknown route with Envoy’s empty 404', async () => {
    await start();
    for (const path of ['/v1/test/other/v1/models/fraud:predict', '/v1/nope/fraud/v1/models/fraud', '/', '/v1/models/fraud:predict']) {
      const r = await call(path, { body: path.endsWith('predict') ? { instances: [1] } : undefined });
      expect(r.status, path).toBe(404);
      expect(r.text).toBe('');
      expect(r.headers.server).toBe('istio-envoy');
      expect(r.headers['content-length']).toBe('0');
    }
    const wrongHost = await call('/v1/models/fraud', { headers: { host: 'fraud.other.hopsworks.ai' } });
    expect(wrongHost.status).toBe(404);
    expect(wrongHost.text).toBe('');
    expect(server!.stats().byRoute.unrouted).toBe(5);
  });

  it('puts the Envoy headers on every response', async () => {
    await start({ serviceTime: 15 });
    const r = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [[1]] } });
    expect(r.headers.server).toBe('istio-envoy');
    expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(14);
    for (const other of [await call(`${P}/v1/models/fraud`, { key: null }), await call(`${P}/v1/models/fraud`)]) {
      expect(other.headers.server).toBe('istio-envoy');
      expect(other.headers['x-envoy-upstream-service-time']).toMatch(/^\d+$/);
    }
  });

  it('serves several deployments with their own model lists', async () => {
    await start({
      deployments: [
        { project: 'p', deployment: 'a', models: ['ma'] },
        { project: 'p', deployment: 'b' },
      ],
    });
    expect((await call('/v1/p/a/v1/models/ma')).status).toBe(200);
    expect((await call('/v1/p/a/v1/models/mb')).status).toBe(404);
    expect((await call('/v1/p/b/v1/models/anything')).status).toBe(200);
    expect((await call('/v1/models/ma', { headers: { host: 'a.p.hopsworks.ai' } })).status).toBe(200);
  });
});

describe('auth', () => {
  it('401 without a key, 403 with a wrong one, 200 with the right one', async () => {
    await start();
    const missing = await call(`${P}/v1/models/fraud`, { key: null });
    expect(missing.status).toBe(401);
    expect(missing.json()).toMatchObject({ error: 'Unauthorized' });
    const malformed = await call(`${P}/v1/models/fraud`, { key: null, headers: { authorization: 'Bearer secret' } });
    expect(malformed.status).toBe(401);
    const wrong = await call(`${P}/v1/models/fraud`, { key: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.json()).toMatchObject({ error: 'Forbidden' });
    expect((await call(`${P}/v1/models/fraud`)).status).toBe(200);
    expect((await call(`${P}/v1/models/fraud`, { key: null, headers: { authorization: 'apikey secret' } })).status).toBe(200);
  });

  it('accepts any key when apiKeys is empty, but still wants one', async () => {
    await start({ apiKeys: [] });
    expect((await call(`${P}/v1/models/fraud`, { key: 'whatever' })).status).toBe(200);
    expect((await call(`${P}/v1/models/fraud`, { key: null })).status).toBe(401);
  });

  it('wants nothing with auth: false', async () => {
    await start({ auth: false });
    expect((await call(`${P}/v1/models/fraud`, { key: null })).status).toBe(200);
  });
});

describe('KServe', () => {
  it('predicts one value per instance (instances and inputs)', async () => {
    await start();
    const r = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [[1, 2], [3, 4], [5, 6]] } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json()).toEqual({ predictions: [0, 1, 0] });
    expect(r.text).toBe('{"predictions":[0.0,1.0,0.0]}');
    const r2 = await call(`${P}/v1/models/fraud:predict`, { body: { inputs: [[4641025220953719, 4920355418495856]] } });
    expect(r2.json()).toEqual({ predictions: [0] });
    const hostRouted = await call('/v1/models/fraud:predict', { headers: HOST, body: { instances: [1, 2] } });
    expect(hostRouted.json()).toEqual({ predictions: [0, 1] });
  });

  it('classifies and regresses TF Serving style', async () => {
    await start();
    const c = await call(`${P}/v1/models/fraud:classify`, { body: { examples: [{ x: 1 }, { x: 2 }], context: { a: 1 } } });
    expect(c.status).toBe(200);
    const cr = c.json() as { results: [string, number][][] };
    expect(cr.results).toHaveLength(2);
    for (const ex of cr.results) {
      for (const [label, score] of ex) {
        expect(typeof label).toBe('string');
        expect(typeof score).toBe('number');
      }
    }
    const r = await call(`${P}/v1/models/fraud:regress`, { body: { examples: [{ x: 1 }, { x: 2 }, { x: 3 }] } });
    expect(r.json()).toEqual({ results: [0.5, 0.5, 0.5] });
  });

  it('answers V2 infer with model_name and outputs', async () => {
    await start();
    const r = await call(`${P}/v2/models/fraud/infer`, {
      body: { id: 'req-1', inputs: [{ name: 'input-0', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }] },
    });
    expect(r.status).toBe(200);
    const b = r.json() as { model_name: string; id: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
    expect(b.model_name).toBe('fraud');
    expect(b.id).toBe('req-1');
    expect(b.outputs).toEqual([{ name: 'output-0', shape: [2], datatype: 'FP32', parameters: null, data: [0, 1] }]);
    expect((await call(`${P}/v2/models/fraud/ready`)).json()).toEqual({ name: 'fraud', ready: true });
    expect((await call(`${P}/v2/health/live`)).json()).toEqual({ live: true });
  });

  it('rejects bad bodies with 400 and a KServe error', async () => {
    await start();
    const cases: [string, unknown][] = [
      [`${P}/v1/models/fraud:predict`, '{not json'],
      [`${P}/v1/models/fraud:predict`, { foo: 1 }],
      [`${P}/v1/models/fraud:predict`, [1, 2]],
      [`${P}/v1/models/fraud:classify`, { instances: [1] }],
      [`${P}/v1/models/fraud:regress`, {}],
      [`${P}/v2/models/fraud/infer`, { inputs: [{ name: 'x', shape: [1], data: [1] }] }],
      [`${P}/v2/models/fraud/infer`, { instances: [1] }],
    ];
    for (const [path, body] of cases) {
      const r = await call(path, { body });
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(typeof (r.json() as { error: unknown }).error).toBe('string');
    }
  });

  it('404s an unknown model when the deployment lists its models', async () => {
    await start({ deployments: [{ project: 'test', deployment: 'fraud', models: ['fraud'] }] });
    const r = await call(`${P}/v1/models/other:predict`, { body: { instances: [1] } });
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ error: 'Model with name other does not exist.' });
    expect((await call(`${P}/v1/models/other`)).status).toBe(404);
    expect((await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } })).status).toBe(200);
  });

  it('405s a wrong method and 404s an unknown upstream path', async () => {
    await start();
    const r = await call(`${P}/v1/models/fraud:predict`);
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('POST');
    expect(r.json()).toEqual({ error: 'Method Not Allowed' });
    expect((await call(`${P}/v1/models/fraud`, { body: {} })).status).toBe(405);
    const nf = await call(`${P}/v1/models/fraud:explainz`, { body: {} });
    expect(nf.status).toBe(404);
    expect(nf.json()).toHaveProperty('error');
    expect((await call(`${P}/nothing/here`)).status).toBe(404);
  });
});

describe('CORS', () => {
  const preflight = (origin: string): Promise<Reply> =>
    call(`${P}/v1/models/fraud:predict`, {
      method: 'OPTIONS',
      key: null,
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  it('answers an allowed preflight', async () => {
    await start({ cors: { allowedOrigins: ['https://app.example.com', 'https://*.hopsworks.ai'] } });
    for (const origin of ['https://app.example.com', 'https://ui.hopsworks.ai']) {
      const r = await preflight(origin);
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe(origin);
      expect(r.headers['access-control-allow-methods']).toContain('POST');
      const allowHeaders = String(r.headers['access-control-allow-headers']);
      expect(allowHeaders).toContain('authorization');
      expect(allowHeaders).toContain('content-type');
      expect(Number(r.headers['access-control-max-age'])).toBeGreaterThan(0);
      expect(r.headers.server).toBe('istio-envoy');
    }
  });

  it('allows any origin by default', async () => {
    await start();
    const r = await preflight('http://localhost:3000');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('http://localhost:3000');
  });

  it('denies a disallowed origin with 403 and no allow-origin', async () => {
    await start({ cors: { allowedOrigins: ['https://app.example.com'] } });
    const r = await preflight('https://evil.example.org');
    expect(r.status).toBe(403);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(server!.stats().byRoute.preflight).toBe(1);
  });

  it('adds allow-origin to simple requests from an allowed origin only', async () => {
    await start({ cors: { allowedOrigins: ['https://app.example.com'] } });
    const ok = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] }, headers: { origin: 'https://app.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const no = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] }, headers: { origin: 'https://evil.example.org' } });
    expect(no.status).toBe(200);
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
    const denied = await call(`${P}/v1/models/fraud:predict`, { key: null, body: { instances: [1] }, headers: { origin: 'https://app.example.com' } });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });
});

describe('service time and slots', () => {
  it('takes at least the fixed service time', async () => {
    await start({ serviceTime: { type: 'fixed', ms: 20 } });
    for (let i = 0; i < 3; i++) {
      const r = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } });
      expect(r.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(20);
      expect(r.ms).toBeLessThan(120);
    }
  });

  it('answers the metadata GET without service time', async () => {
    await start({ serviceTime: 200 });
    const r = await call(`${P}/v1/models/fraud`);
    expect(r.ms).toBeLessThan(150);
  });

  it('queues beyond the slots: 8 requests on 4 slots of 50 ms take about 100 ms', async () => {
    await start({ serviceTime: { type: 'fixed', ms: 50 }, slots: 4 });
    await call(`${P}/v1/models/fraud`); // warm the connection path
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: 8 }, () => call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } })));
    const total = performance.now() - t0;
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(total).toBeGreaterThanOrEqual(100);
    expect(total).toBeLessThan(170);
    const times = rs.map((r) => r.ms).sort((a, b) => a - b);
    expect(times[3]).toBeLessThan(95); // the first wave
    expect(times[4]).toBeGreaterThanOrEqual(99); // the second wave waited
  });

  it('draws uniform service times within their bounds', async () => {
    await start({ serviceTime: { type: 'uniform', minMs: 10, maxMs: 30 } });
    const rs = await Promise.all(Array.from({ length: 10 }, () => call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } })));
    for (const r of rs) {
      expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(10);
      expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeLessThanOrEqual(45);
    }
  });
});

describe('faults', () => {
  it('injects errors at the configured rate', async () => {
    await start({ faults: { errorRate: 0.5 }, seed: 42 });
    const rs = await Promise.all(Array.from({ length: 200 }, () => call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } })));
    const errors = rs.filter((r) => r.status === 500);
    expect(errors.length).toBeGreaterThan(60);
    expect(errors.length).toBeLessThan(140);
    expect(errors[0].json()).toEqual({ error: 'injected' });
    expect(server!.stats().byStatus['500']).toBe(errors.length);
  });

  it('delays only the configured routing mode', async () => {
    await start({ faults: { routingDelayMs: { host: 60 } } });
    await call(`${P}/v1/models/fraud`); // warm up
    const median = async (path: string, headers?: Record<string, string>): Promise<number> => {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) ms.push((await call(path, { headers, body: { instances: [1] } })).ms);
      return ms.sort((a, b) => a - b)[1];
    };
    expect(await median(`${P}/v1/models/fraud:predict`)).toBeLessThan(40);
    expect(await median('/v1/models/fraud:predict', HOST)).toBeGreaterThanOrEqual(60);
  });

  it('holds every response during the stall window', async () => {
    server = await startMock({ serviceTime: 0, auth: false, faults: { stallAt: { afterMs: 100, forMs: 150 } } });
    const before = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } });
    expect(before.ms).toBeLessThan(90);
    await new Promise((r) => setTimeout(r, 130 - before.ms));
    const during = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } });
    expect(during.status).toBe(200);
    expect(during.ms).toBeGreaterThan(60); // released at 250 ms from start
    const after = await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } });
    expect(after.ms).toBeLessThan(40);
  });
});

describe('stats', () => {
  it('counts requests by route and status, and resets', async () => {
    await start();
    await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } });
    await call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } });
    await call(`${P}/v1/models/fraud:classify`, { body: { examples: [1] } });
    await call(`${P}/v1/models/fraud`, { key: null });
    await call('/nowhere');
    const s = server!.stats();
    expect(s.requests).toBe(5);
    expect(s.byRoute).toEqual({ predict: 2, classify: 1, model: 1, unrouted: 1 });
    expect(s.byStatus).toEqual({ '200': 3, '401': 1, '404': 1 });
    expect(s.tokensSent).toBe(0);
    expect(await server!.statsAsync()).toEqual(s);
    server!.resetStats();
    expect(server!.stats()).toEqual({ requests: 0, byRoute: {}, byStatus: {}, byRouting: { path: 0, host: 0 }, tokensSent: 0 });
  });
});

describe('lifecycle', () => {
  it('closes with requests still in service', async () => {
    await start({ serviceTime: 5_000 });
    const pending = call(`${P}/v1/models/fraud:predict`, { body: { instances: [1] } }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    await server!.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('binds the requested port and host', async () => {
    const first = await startMock({}, { host: '127.0.0.1' });
    try {
      expect(first.url).toBe(`http://127.0.0.1:${first.port}`);
      await expect(startMock({}, { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('rejects an invalid config', async () => {
    await expect(startMock({ slots: 0 })).rejects.toThrow('invalid mock config: slots');
  });
});
