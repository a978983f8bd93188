import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { existsSync } from 'node:fs';
import { startMockInThread, threadEntryPath, type MockServer } from '../../src/mock/index.js';

// The worker runs the compiled dist/mock/thread.js: `npm test` builds first.
let server: MockServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startMockInThread', () => {
  it('resolves the compiled thread entry', () => {
    const p = threadEntryPath();
    expect(p.replaceAll('\\', '/')).toMatch(/\/dist\/mock\/thread\.js$/);
    expect(existsSync(p)).toBe(true);
  });

  it('starts, answers, reports stats and closes', async () => {
    server = await startMockInThread({ serviceTime: 0, apiKeys: ['k'], llm: { decodeMsPerToken: 1 } });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await request(`${server.url}/v1/test/fraud/v1/models/fraud:predict`, {
      method: 'POST',
      headers: { authorization: 'ApiKey k', 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [[1], [2]] }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.server).toBe('istio-envoy');
    expect(await res.body.json()).toEqual({ predictions: [0, 1] });

    const chat = await request(`${server.url}/v1/test/fraud/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'ApiKey k' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true }),
    });
    const text = await chat.body.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);

    const s = await server.statsAsync();
    expect(s).toMatchObject({ requests: 2, byRoute: { predict: 1, chat: 1 }, byStatus: { '200': 2 }, tokensSent: 4 });
    expect(server.stats()).toEqual(s); // statsAsync refreshed the snapshot
    server.resetStats();
    expect(server.stats().requests).toBe(0);
    expect((await server.statsAsync()).requests).toBe(0);

    const port = server.port;
    await server.close();
    await server.close(); // idempotent
    server = undefined;
    await expect(request(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('refreshes the sync snapshot on its own', async () => {
    server = await startMockInThread({ auth: false, serviceTime: 0 });
    await (await request(`${server.url}/v1/models/fraud`, { headers: { host: 'fraud.test.hopsworks.ai' } })).body.text();
    await new Promise((r) => setTimeout(r, 400));
    expect(server.stats().requests).toBe(1);
  });

  it('rejects a bad config in the caller and a port in use from the thread', async () => {
    await expect(startMockInThread({ slots: 0 })).rejects.toThrow('invalid mock config: slots');
    server = await startMockInThread({});
    await expect(startMockInThread({}, { port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
