/**
 * The mock gateway: one node:http server that imitates an Istio ingress gateway (routing, ApiKey
 * auth, CORS, Envoy headers) in front of KServe predictors (V1, TF Serving, V2) and vLLM.
 *
 * It is a load-test target, so the hot path (a trivial `:predict`) does little: routes are looked
 * up in Maps built once, response bodies for n predictions are cached Buffers, counters live in
 * arrays, and a request is answered without a timer when the service time is 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { mockConfigFrom, type MockConfig, type ResolvedMockConfig } from './config.js';
import { prng, serviceTimeSampler } from './random.js';
import { LlmEngine, LlmRequestError, llmErrorBody, parseGenerationRequest } from './llm.js';

export interface MockStats {
  requests: number;
  /** predict, classify, regress, infer, model, chat, completion, preflight, unrouted, notFound. */
  byRoute: Record<string, number>;
  /** HTTP status → responses. */
  byStatus: Record<string, number>;
  /** Requests routed by each mode: path, host. */
  byRouting: Record<string, number>;
  /** LLM tokens delivered to clients (streamed chunks and whole responses). */
  tokensSent: number;
}

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

const ROUTES = ['predict', 'classify', 'regress', 'infer', 'model', 'chat', 'completion', 'preflight', 'unrouted', 'notFound'] as const;
const R_PREDICT = 0;
const R_CLASSIFY = 1;
const R_REGRESS = 2;
const R_INFER = 3;
const R_MODEL = 4;
const R_CHAT = 5;
const R_COMPLETION = 6;
const R_PREFLIGHT = 7;
const R_UNROUTED = 8;
const R_NOT_FOUND = 9;

/** GET answers for the metadata-like routes. */
const M_V1 = 0;
const M_V2_META = 1;
const M_V2_READY = 2;
const M_LIVE = 3;
const M_READY = 4;

const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface Deployment {
  project: string;
  deployment: string;
  models: string[];
  modelSet: Set<string> | null;
  /** Model name used when a request names none (LLM calls). */
  defaultModel: string;
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  dep: Deployment;
  host: boolean;
  route: number;
  model: string;
  /** Which GET answer (M_*) for R_MODEL. */
  meta: number;
  /** Start of the upstream service time (performance.now()). */
  t0: number;
  allowOrigin: string | undefined;
  /** While queued for a service slot: the answer to send when served. */
  status: number;
  body: Buffer | undefined;
}

/** The host a client would use for host routing, as servebench's target module builds it. */
export function hostFor(project: string, deployment: string, knativeDomain: string): string {
  const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${norm(deployment)}.${norm(project)}.${knativeDomain.toLowerCase()}`;
}

const JSON_TYPE = 'application/json';
const EMPTY = Buffer.alloc(0);

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

function kserveError(message: string): Buffer {
  return json({ error: message });
}

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc}$`, 'i');
}

/** Count of rows a V1 / TF Serving body asks predictions for; undefined when malformed. */
function countRows(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') {
    // TF Serving columnar format: {"inputs": {"a": [[…], […]], "b": […]}}
    for (const col of Object.values(v)) return Array.isArray(col) ? col.length : 1;
    return 0;
  }
  return undefined;
}

class MockGateway {
  readonly cfg: ResolvedMockConfig;
  private readonly byHost = new Map<string, Deployment>();
  private readonly byPath = new Map<string, Deployment>();
  private readonly apiKeys: Set<string>;
  private readonly anyOrigin: boolean;
  private readonly exactOrigins: Set<string>;
  private readonly globOrigins: RegExp[];
  private readonly rand: () => number;
  private readonly sampleServiceMs: () => number;
  private readonly zeroServiceTime: boolean;
  private readonly errorRate: number;
  private readonly delayPathMs: number;
  private readonly delayHostMs: number;
  readonly llm: LlmEngine;

  // stats
  private requests = 0;
  private tokens = 0;
  private readonly routeCounts = new Array<number>(ROUTES.length).fill(0);
  private statusCounts = new Map<number, number>();
  private routingCounts = [0, 0];

  // service slots (predict-like calls)
  private inService = 0;
  private readonly queue: (Ctx | undefined)[] = [];
  private queueHead = 0;
  /** In-service calls by the performance.now() time they are due (on a ¼ ms grid). */
  private readonly due = new Map<number, Ctx[]>();

  // timers and the stall window
  private readonly timers = new Set<NodeJS.Timeout>();
  private startedAt = 0;
  private readonly stallFrom: number;
  private readonly stallUntil: number;
  private stallQueue: (() => void)[] = [];
  private stallTimer: NodeJS.Timeout | undefined;
  closed = false;

  // cached bodies
  private readonly predictCache = new Map<number, Buffer>();
  private readonly classifyCache = new Map<number, Buffer>();
  private readonly regressCache = new Map<number, Buffer>();
  private readonly injected = kserveError('injected');
  private readonly unauthorized = json({ error: 'Unauthorized', message: "missing or malformed authorization header, expected 'ApiKey <key>'" });
  private readonly forbidden = json({ error: 'Forbidden', message: 'invalid API key' });

  constructor(cfg: ResolvedMockConfig) {
    this.cfg = cfg;
    for (const d of cfg.deployments) {
      const dep: Deployment = {
        project: d.project,
        deployment: d.deployment,
        models: d.models,
        modelSet: d.models.length > 0 ? new Set(d.models) : null,
        defaultModel: d.models[0] ?? d.deployment,
      };
      this.byPath.set(`${d.project}/${d.deployment}`, dep);
      this.byHost.set(`${d.deployment}.${d.project}.${cfg.knativeDomain}`.toLowerCase(), dep);
      this.byHost.set(hostFor(d.project, d.deployment, cfg.knativeDomain), dep);
    }
    this.apiKeys = new Set(cfg.apiKeys);
    const origins = cfg.cors.allowedOrigins;
    this.anyOrigin = origins.includes('*');
    this.exactOrigins = new Set(origins.filter((o) => !o.includes('*')));
    this.globOrigins = origins.filter((o) => o !== '*' && o.includes('*')).map(globToRegExp);
    this.rand = prng(cfg.seed);
    this.sampleServiceMs = serviceTimeSampler(cfg.serviceTime, this.rand);
    this.zeroServiceTime = cfg.serviceTime.type === 'fixed' && cfg.serviceTime.ms === 0;
    this.errorRate = cfg.faults.errorRate;
    this.delayPathMs = cfg.faults.routingDelayMs.path;
    this.delayHostMs = cfg.faults.routingDelayMs.host;
    const stall = cfg.faults.stallAt;
    this.stallFrom = stall && stall.forMs > 0 ? stall.afterMs : Infinity;
    this.stallUntil = stall && stall.forMs > 0 ? stall.afterMs + stall.forMs : -Infinity;
    this.llm = new LlmEngine(cfg.llm, {
      now: () => performance.now(),
      later: (ms, fn) => this.later(ms, fn),
      cancel: (t) => {
        clearTimeout(t);
        this.timers.delete(t);
      },
      rand: this.rand,
      gate: (fn) => this.gate(fn),
      writeHead: (res, status, type, len) => {
        const ctx = (res as ResWithCtx)[CTX];
        this.writeHead(ctx, status, type, len);
      },
      tokensSent: (n) => {
        this.tokens += n;
      },
    });
  }

  start(): void {
    this.startedAt = performance.now();
  }

  // ------------------------------------------------------------------------------------------
  // stats

  stats(): MockStats {
    const byRoute: Record<string, number> = {};
    ROUTES.forEach((r, i) => {
      if (this.routeCounts[i] > 0) byRoute[r] = this.routeCounts[i];
    });
    const byStatus: Record<string, number> = {};
    for (const [s, n] of [...this.statusCounts].sort((a, b) => a[0] - b[0])) byStatus[String(s)] = n;
    return {
      requests: this.requests,
      byRoute,
      byStatus,
      byRouting: { path: this.routingCounts[0], host: this.routingCounts[1] },
      tokensSent: this.tokens,
    };
  }

  resetStats(): void {
    this.requests = 0;
    this.tokens = 0;
    this.routeCounts.fill(0);
    this.statusCounts = new Map();
    this.routingCounts = [0, 0];
  }

  // ------------------------------------------------------------------------------------------
  // timers, stall window

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /**
   * Everything that writes to a client goes through here. During the stall window (and until the
   * writes held by it are flushed, so order is kept) writes are queued and flushed at its end.
   */
  private gate(fn: () => void): void {
    if (this.stallUntil < 0 || this.closed) {
      fn();
      return;
    }
    const t = performance.now() - this.startedAt;
    if (this.stallQueue.length === 0 && (t < this.stallFrom || t >= this.stallUntil)) {
      fn();
      return;
    }
    this.stallQueue.push(fn);
    if (!this.stallTimer) {
      this.stallTimer = setTimeout(() => this.flushStall(), Math.max(0, this.stallUntil - t));
    }
  }

  private flushStall(): void {
    const early = this.stallUntil - (performance.now() - this.startedAt);
    if (early > 0 && !this.closed) {
      this.stallTimer = setTimeout(() => this.flushStall(), early);
      return;
    }
    this.stallTimer = undefined;
    const q = this.stallQueue;
    this.stallQueue = [];
    for (const fn of q) fn();
  }

  shutdown(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.stallQueue = [];
    this.queue.length = 0;
    this.queueHead = 0;
    this.due.clear();
    this.inService = 0;
    this.llm.shutdown();
  }

  // ------------------------------------------------------------------------------------------
  // responses

  private countStatus(status: number): void {
    this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + 1);
  }

  private writeHead(ctx: Ctx, status: number, contentType: string | undefined, length: number | undefined, extra?: string[]): void {
    const h: string[] = ['server', 'istio-envoy', 'x-envoy-upstream-service-time', String(Math.round(performance.now() - ctx.t0))];
    if (contentType !== undefined) h.push('content-type', contentType);
    if (length !== undefined) h.push('content-length', String(length));
    if (ctx.allowOrigin !== undefined) h.push('access-control-allow-origin', ctx.allowOrigin, 'vary', 'Origin');
    if (extra) h.push(...extra);
    ctx.res.writeHead(status, h);
    this.countStatus(status);
  }

  /** A whole JSON response, through the stall gate. */
  private send(ctx: Ctx, status: number, body: Buffer, extra?: string[]): void {
    if (this.stallUntil < 0) {
      this.sendNow(ctx, status, body, extra);
    } else {
      this.gate(() => this.sendNow(ctx, status, body, extra));
    }
  }

  private sendNow(ctx: Ctx, status: number, body: Buffer, extra?: string[]): void {
    if (ctx.res.destroyed) return;
    this.writeHead(ctx, status, body.length > 0 ? JSON_TYPE : undefined, body.length, extra);
    ctx.res.end(body);
  }

  // ------------------------------------------------------------------------------------------
  // the gateway

  readonly onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.requests++;
    const t0 = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);

    // Istio: host routing first (a VirtualService per knative host), then path routing.
    let dep: Deployment | undefined;
    let suffix = path;
    let host = false;
    const hostHeader = req.headers.host;
    if (hostHeader !== undefined) {
      const colon = hostHeader.lastIndexOf(':');
      const h = colon > 0 && hostHeader[0] !== '[' ? hostHeader.slice(0, colon) : hostHeader;
      dep = this.byHost.get(h.toLowerCase());
      if (dep) host = true;
    }
    if (!dep && path.startsWith('/v1/')) {
      const i = path.indexOf('/', 4);
      if (i > 4) {
        const j = path.indexOf('/', i + 1);
        dep = this.byPath.get(j < 0 ? path.slice(4) : path.slice(4, j));
        if (dep) suffix = j < 0 ? '' : path.slice(j);
      }
    }
    if (!dep) {
      // Envoy's own 404 (no route): empty body.
      this.routeCounts[R_UNROUTED]++;
      req.resume();
      const notFound = (): void => {
        this.countStatus(404);
        res.writeHead(404, ['server', 'istio-envoy', 'x-envoy-upstream-service-time', '0', 'content-length', '0']);
        res.end();
      };
      if (this.stallUntil < 0) notFound();
      else this.gate(notFound);
      return;
    }
    this.routingCounts[host ? 1 : 0]++;

    const ctx: Ctx = { req, res, dep, host, route: R_NOT_FOUND, model: '', meta: 0, t0, allowOrigin: undefined, status: 0, body: undefined };
    (res as ResWithCtx)[CTX] = ctx;
    const origin = req.headers.origin;
    const originOk = origin !== undefined && this.originAllowed(origin);
    if (originOk) ctx.allowOrigin = origin;

    if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      this.routeCounts[R_PREFLIGHT]++;
      req.resume();
      this.preflight(ctx, originOk);
      return;
    }

    const method = this.classify(ctx, suffix);
    this.routeCounts[ctx.route]++;

    if (this.cfg.auth) {
      const a = req.headers.authorization;
      const m = a === undefined ? null : /^ApiKey\s+(\S+)\s*$/i.exec(a);
      if (m === null) {
        req.resume();
        this.send(ctx, 401, this.unauthorized, ['www-authenticate', 'ApiKey']);
        return;
      }
      if (this.apiKeys.size > 0 && !this.apiKeys.has(m[1])) {
        req.resume();
        this.send(ctx, 403, this.forbidden);
        return;
      }
    }

    if (ctx.route === R_NOT_FOUND) {
      req.resume();
      this.send(ctx, 404, kserveError(`Not Found: ${suffix || '/'}`));
      return;
    }
    if (req.method !== method) {
      req.resume();
      this.methodNotAllowed(ctx, method);
      return;
    }

    // Read the body, then hand it upstream after the gateway's routing delay.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        this.send(ctx, 413, kserveError('request body too large'), ['connection', 'close']);
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const body = more ? Buffer.concat(more, size) : (first ?? EMPTY);
      const delay = host ? this.delayHostMs : this.delayPathMs;
      if (delay > 0) this.later(delay, () => this.upstream(ctx, body));
      else this.upstream(ctx, body);
    });
  };

  private originAllowed(origin: string): boolean {
    if (this.anyOrigin || this.exactOrigins.has(origin)) return true;
    for (const re of this.globOrigins) if (re.test(origin)) return true;
    return false;
  }

  private preflight(ctx: Ctx, allowed: boolean): void {
    if (!allowed) {
      ctx.allowOrigin = undefined;
      this.send(ctx, 403, EMPTY);
      return;
    }
    this.send(ctx, 200, EMPTY, [
      'access-control-allow-methods',
      'GET, POST, PUT, DELETE, OPTIONS',
      'access-control-allow-headers',
      'authorization, content-type, accept, origin, user-agent, x-requested-with, x-request-id',
      'access-control-max-age',
      '86400',
    ]);
  }

  private methodNotAllowed(ctx: Ctx, allow: string): void {
    const extra = ['allow', allow];
    if (ctx.route === R_CHAT || ctx.route === R_COMPLETION) {
      this.send(ctx, 405, Buffer.from(llmErrorBody(this.cfg.llm.errorShape, 405, 'MethodNotAllowed', 'Method Not Allowed')), extra);
    } else {
      this.send(ctx, 405, kserveError('Method Not Allowed'), extra);
    }
  }

  /** Sets ctx.route / ctx.model from the upstream path; returns the method the route takes. */
  private classify(ctx: Ctx, s: string): string {
    if (s.startsWith('/v1/models/')) {
      const rest = s.slice(11);
      if (rest.length === 0 || rest.includes('/')) return 'GET';
      const c = rest.lastIndexOf(':');
      if (c < 0) {
        ctx.route = R_MODEL;
        ctx.meta = M_V1;
        ctx.model = decode(rest);
        return 'GET';
      }
      ctx.model = decode(rest.slice(0, c));
      const verb = rest.slice(c + 1);
      if (verb === 'predict') ctx.route = R_PREDICT;
      else if (verb === 'classify') ctx.route = R_CLASSIFY;
      else if (verb === 'regress') ctx.route = R_REGRESS;
      return 'POST';
    }
    if (s.startsWith('/v2/models/')) {
      const parts = s.slice(11).split('/');
      ctx.model = decode(parts[0]);
      if (ctx.model.length === 0) return 'GET';
      if (parts.length === 1) {
        ctx.route = R_MODEL;
        ctx.meta = M_V2_META;
        return 'GET';
      }
      const tail = parts.length === 4 && parts[1] === 'versions' ? parts[3] : parts.length === 2 ? parts[1] : '';
      if (tail === 'infer') {
        ctx.route = R_INFER;
        return 'POST';
      }
      if (tail === 'ready') {
        ctx.route = R_MODEL;
        ctx.meta = M_V2_READY;
      }
      return 'GET';
    }
    if (s === '/v1/chat/completions') {
      ctx.route = R_CHAT;
      return 'POST';
    }
    if (s === '/v1/completions') {
      ctx.route = R_COMPLETION;
      return 'POST';
    }
    if (s === '/v2/health/live' || s === '/v2/health/ready') {
      ctx.route = R_MODEL;
      ctx.meta = s.endsWith('live') ? M_LIVE : M_READY;
      return 'GET';
    }
    return 'GET';
  }

  /** The request has passed the gateway; this is the predictor (KServe or vLLM). */
  private upstream(ctx: Ctx, body: Buffer): void {
    ctx.t0 = performance.now();
    const route = ctx.route;
    if (route === R_CHAT || route === R_COMPLETION) {
      this.generate(ctx, body);
      return;
    }
    const { dep, model } = ctx;
    if (dep.modelSet !== null && !dep.modelSet.has(model) && ctx.meta !== M_LIVE && ctx.meta !== M_READY) {
      this.send(ctx, 404, kserveError(`Model with name ${model} does not exist.`));
      return;
    }
    if (route === R_MODEL) {
      this.send(ctx, 200, this.metaBody(ctx));
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      this.send(ctx, 400, kserveError(`Unrecognized request format: invalid JSON`));
      return;
    }
    let out: Buffer | string;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.send(ctx, 400, kserveError('Unrecognized request format: expected a JSON object'));
      return;
    }
    const o = parsed as Record<string, unknown>;
    if (route === R_PREDICT) {
      const n = countRows(o.instances !== undefined ? o.instances : o.inputs);
      if (n === undefined) {
        this.send(ctx, 400, kserveError('Invalid input format: expected "instances" or "inputs" to be a list'));
        return;
      }
      out = this.cached(this.predictCache, n, predictBody);
    } else if (route === R_CLASSIFY || route === R_REGRESS) {
      if (!Array.isArray(o.examples)) {
        this.send(ctx, 400, kserveError('Missing \'examples\' key or not a list'));
        return;
      }
      const n = o.examples.length;
      out = route === R_CLASSIFY ? this.cached(this.classifyCache, n, classifyBody) : this.cached(this.regressCache, n, regressBody);
    } else {
      const r = inferBody(model, o);
      if (typeof r !== 'string') {
        this.send(ctx, 400, kserveError(r.error));
        return;
      }
      out = r;
    }
    const fail = this.errorRate > 0 && this.rand() < this.errorRate;
    const response = fail ? this.injected : typeof out === 'string' ? Buffer.from(out) : out;
    this.serve(ctx, fail ? 500 : 200, response);
  }

  private cached(cache: Map<number, Buffer>, n: number, build: (n: number) => string): Buffer {
    let b = cache.get(n);
    if (b === undefined) {
      b = Buffer.from(build(n));
      if (n <= 4096) cache.set(n, b);
    }
    return b;
  }

  private metaBody(ctx: Ctx): Buffer {
    switch (ctx.meta) {
      case M_V1:
      case M_V2_READY:
        return json({ name: ctx.model, ready: true });
      case M_V2_META:
        return json({ name: ctx.model, versions: ['1'], platform: 'mock', inputs: [], outputs: [] });
      case M_LIVE:
        return json({ live: true });
      default:
        return json({ ready: true });
    }
  }

  // ------------------------------------------------------------------------------------------
  // service slots: at most `slots` predict-like calls in service, the rest wait FIFO

  private serve(ctx: Ctx, status: number, body: Buffer): void {
    if (this.zeroServiceTime) {
      this.send(ctx, status, body);
      return;
    }
    if (this.inService < this.cfg.slots) {
      this.startService(ctx, status, body);
    } else {
      ctx.status = status;
      ctx.body = body;
      this.queue.push(ctx);
    }
  }

  /**
   * `fromMs`: when the service begins. A queued request takes over a freed slot at the instant
   * the slot was due to free, not when the (possibly late) timer fired: timer lateness then delays
   * single answers but never accumulates, so the capacity is exactly slots / serviceTime.
   */
  private startService(ctx: Ctx, status: number, body: Buffer, fromMs = performance.now()): void {
    const ms = this.sampleServiceMs();
    if (ms <= 0) {
      this.send(ctx, status, body);
      return;
    }
    this.inService++;
    ctx.status = status;
    ctx.body = body;
    // Completions are bucketed by due time (¼ ms grid): one timer per bucket, not one per
    // request, which matters for a 1 ms service time at tens of thousands of requests/s.
    const at = Math.ceil((fromMs + ms) * 4) / 4;
    let bucket = this.due.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.due.set(at, bucket);
      this.armBucket(at);
    }
    bucket.push(ctx);
  }

  private armBucket(at: number): void {
    this.later(at - performance.now(), () => this.fireBucket(at));
  }

  private fireBucket(at: number): void {
    if (this.closed) return;
    // Node's timers run on libuv's cached loop clock and can fire up to ~1 ms early (a timer
    // set late in a loop iteration): never answer before the service time is over. The last
    // fraction of a millisecond is waited out with setImmediate, as a timer would add a whole ms.
    const early = at - performance.now();
    if (early > 0) {
      if (early >= 1) this.armBucket(at);
      else setImmediate(() => this.fireBucket(at));
      return;
    }
    const bucket = this.due.get(at);
    this.due.delete(at);
    if (bucket === undefined) return;
    this.inService -= bucket.length;
    for (const ctx of bucket) {
      const body = ctx.body as Buffer;
      ctx.body = undefined;
      this.send(ctx, ctx.status, body);
    }
    this.drain(at);
  }

  /** `freedAtMs`: when the freed slots were due (see startService). */
  private drain(freedAtMs: number): void {
    while (this.inService < this.cfg.slots && this.queueHead < this.queue.length) {
      const i = this.queueHead++;
      const ctx = this.queue[i] as Ctx;
      this.queue[i] = undefined;
      const body = ctx.body as Buffer;
      ctx.body = undefined;
      this.startService(ctx, ctx.status, body, freedAtMs);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  // ------------------------------------------------------------------------------------------
  // vLLM

  private generate(ctx: Ctx, body: Buffer): void {
    const shape = this.cfg.llm.errorShape;
    const chat = ctx.route === R_CHAT;
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch {
      this.send(ctx, 400, Buffer.from(llmErrorBody(shape, 400, 'BadRequestError', 'invalid JSON in request body')));
      return;
    }
    let req;
    try {
      req = parseGenerationRequest(raw, chat, ctx.dep.models, ctx.dep.defaultModel, this.cfg.llm, this.rand, ctx.t0);
    } catch (e) {
      if (!(e instanceof LlmRequestError)) throw e;
      this.send(ctx, e.status, Buffer.from(llmErrorBody(shape, e.status, e.type, e.message, e.param)));
      return;
    }
    if (this.errorRate > 0 && this.rand() < this.errorRate) {
      this.send(ctx, 500, Buffer.from(llmErrorBody(shape, 500, 'InternalServerError', 'injected')));
      return;
    }
    this.llm.submit(req, ctx.res);
  }
}

const CTX = Symbol('mockCtx');
type ResWithCtx = http.ServerResponse & { [CTX]: Ctx };

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// Bodies. Values are written as 0.0 / 1.0 (valid JSON), as a float model would print them.
function predictBody(n: number): string {
  const p: string[] = [];
  for (let i = 0; i < n; i++) p.push(i % 2 === 0 ? '0.0' : '1.0');
  return `{"predictions":[${p.join(',')}]}`;
}

function classifyBody(n: number): string {
  const r: string[] = [];
  for (let i = 0; i < n; i++) r.push('[["0",0.9],["1",0.1]]');
  return `{"results":[${r.join(',')}]}`;
}

function regressBody(n: number): string {
  const r: string[] = [];
  for (let i = 0; i < n; i++) r.push('0.5');
  return `{"results":[${r.join(',')}]}`;
}

/** KServe V2 (Open Inference Protocol) response, or the reason the request is invalid. */
function inferBody(model: string, o: Record<string, unknown>): string | { error: string } {
  const inputs = o.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) return { error: 'Invalid input format: "inputs" must be a non-empty list' };
  let rows = 0;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i] as Record<string, unknown> | null;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return { error: `inputs[${i}] must be an object` };
    if (typeof t.name !== 'string') return { error: `inputs[${i}].name must be a string` };
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      return { error: `inputs[${i}].shape must be a list of non-negative integers` };
    }
    if (typeof t.datatype !== 'string') return { error: `inputs[${i}].datatype must be a string` };
    if (!Array.isArray(t.data)) return { error: `inputs[${i}].data must be a list` };
    if (i === 0) rows = t.shape.length > 0 ? (t.shape[0] as number) : t.data.length;
  }
  const data: string[] = [];
  for (let i = 0; i < rows; i++) data.push(i % 2 === 0 ? '0.0' : '1.0');
  const id = typeof o.id === 'string' ? o.id : randomUUID();
  return `{"model_name":${JSON.stringify(model)},"model_version":null,"id":${JSON.stringify(id)},"parameters":null,"outputs":[{"name":"output-0","shape":[${rows}],"datatype":"FP32","parameters":null,"data":[${data.join(',')}]}]}`;
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
  const resolved = mockConfigFrom(cfg ?? {});
  const gw = new MockGateway(resolved);
  const server = http.createServer({ noDelay: true, keepAlive: true }, gw.onRequest);
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
  gw.start();
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: urlFor(host, port),
    port,
    stats: () => gw.stats(),
    statsAsync: async () => gw.stats(),
    resetStats: () => gw.resetStats(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        gw.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
