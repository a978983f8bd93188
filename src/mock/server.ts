/**
 * The mock's HTTP server and its assembly: one node:http server running the gateway (gateway.ts)
 * in front of the KServe predictors (kserve.ts) and vLLM (llm-handler.ts), sharing one seeded
 * random source, one timer set, one stall gate and one stats counter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mockConfigFrom, type MockConfig, type ResolvedMockConfig } from './config.js';
import { ApiKeyAuth } from './auth.js';
import { CorsPolicy } from './cors.js';
import { errorInjector, StallGate } from './faults.js';
import { MockGateway } from './gateway.js';
import type { RequestHandler } from './handler.js';
import { classifyAnswer, inferAnswer, KServeHandler, MetadataHandler, predictAnswer, regressAnswer } from './kserve.js';
import { llmHandlers } from './llm-handler.js';
import { EmbeddingHandler } from './embedding.js';
import { prng } from './random.js';
import { Responder } from './respond.js';
import { Route } from './routes.js';
import { DeploymentRouter } from './routing.js';
import { ServiceSlots } from './slots.js';
import { StatsCounter, type MockStats } from './stats.js';
import { Timers } from './timers.js';
import { MockMetrics } from './metrics.js';

export interface MockServer {
  /** `http://host:port`, usable as a scenario's target.url. */
  url: string;
  port: number;
  /** In a thread: the last snapshot the thread sent (at most ~200 ms old); use statsAsync for exact. */
  stats(): MockStats;
  statsAsync(): Promise<MockStats>;
  resetStats(): void;
  close(): Promise<void>;
}

export interface MockListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

interface Assembly {
  gateway: MockGateway;
  stats: StatsCounter;
  /** The server listens: fault windows start now. */
  start(): void;
  /** Cancels every pending answer and timer. */
  shutdown(): void;
}

/** Builds the gateway and the predictors behind it from a resolved config. */
function assemble(cfg: ResolvedMockConfig): Assembly {
  const rand = prng(cfg.seed);
  const fails = errorInjector(cfg.faults.errorRate, rand);
  const timers = new Timers();
  const stall = new StallGate(cfg.faults.stallAt);
  const stats = new StatsCounter();
  const metrics = new MockMetrics(cfg.llm.maxBatch);
  const out = new Responder(stall, stats, metrics);
  const slots = new ServiceSlots(cfg.slots, cfg.serviceTime, rand, timers, out);
  const kserve = { slots, out, fails };
  const llm = llmHandlers({ cfg: cfg.llm, timers, stall, out, stats, rand, fails, metrics });

  const handlers: RequestHandler[] = [];
  handlers[Route.Predict] = new KServeHandler(predictAnswer(), kserve);
  handlers[Route.Classify] = new KServeHandler(classifyAnswer(), kserve);
  handlers[Route.Regress] = new KServeHandler(regressAnswer(), kserve);
  handlers[Route.Infer] = new KServeHandler(inferAnswer, kserve);
  handlers[Route.Model] = new MetadataHandler(out);
  handlers[Route.Chat] = llm.chat;
  handlers[Route.Completion] = llm.completion;
  handlers[Route.Embedding] = new EmbeddingHandler({ cfg: cfg.embedding, errorShape: cfg.llm.errorShape, out, timers, fails });

  const gateway = new MockGateway({
    router: new DeploymentRouter(cfg),
    auth: new ApiKeyAuth(cfg.auth, cfg.apiKeys),
    cors: new CorsPolicy(cfg.cors.allowedOrigins),
    out,
    stats,
    timers,
    handlers,
    routingDelayMs: cfg.faults.routingDelayMs,
    metrics,
  });
  return {
    gateway,
    stats,
    start: () => stall.start(),
    shutdown: () => {
      stall.close();
      timers.clear();
      slots.close();
      llm.engine.shutdown();
    },
  };
}

function urlFor(host: string, port: number): string {
  let h = host;
  if (h === '0.0.0.0' || h === '') h = '127.0.0.1';
  else if (h === '::') h = '[::1]';
  else if (h.includes(':')) h = `[${h}]`;
  return `http://${h}:${port}`;
}

/** Starts the mock gateway in this thread. Validates `cfg` as mockConfigFrom does. */
export async function startMock(cfg?: Partial<MockConfig>, opts: MockListenOptions = {}): Promise<MockServer> {
  const mock = assemble(mockConfigFrom(cfg ?? {}));
  const server = http.createServer({ noDelay: true, keepAlive: true }, mock.gateway.onRequest);
  // Envoy keeps idle upstream-facing connections for long; clients decide when to drop them.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  mock.start();
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: urlFor(host, port),
    port,
    stats: () => mock.stats.snapshot(),
    statsAsync: async () => mock.stats.snapshot(),
    resetStats: () => mock.stats.reset(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        mock.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
