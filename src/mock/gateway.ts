/**
 * The Istio ingress gateway in front of the predictors: routes each request to a deployment (by
 * Host header, then by path), answers CORS preflights, checks the ApiKey, picks the handler of
 * the request kind, reads the body, and hands it upstream after the routing delay.
 *
 * It is a load-test target, so the hot path (a trivial `:predict`) does little: lookups are Maps
 * and arrays built once, and one Exchange is the only object made per request.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ApiKeyAuth } from './auth.js';
import { isPreflight, preflightHeaders, type CorsPolicy } from './cors.js';
import { EMPTY, kserveError, type Exchange, type RequestHandler } from './handler.js';
import type { Responder } from './respond.js';
import { classifyPath, Route } from './routes.js';
import { upstreamPath, type DeploymentRouter } from './routing.js';
import type { StatsCounter } from './stats.js';
import type { Timers } from './timers.js';
import { serveMetrics, type MockMetrics } from './metrics.js';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface GatewayParts {
  router: DeploymentRouter;
  auth: ApiKeyAuth;
  cors: CorsPolicy;
  out: Responder;
  stats: StatsCounter;
  timers: Timers;
  /** By route id (routes.ts); a route without a handler is answered 404. */
  handlers: readonly (RequestHandler | undefined)[];
  /** Injected delay before a request reaches the predictor, by routing mode. */
  routingDelayMs: { path: number; host: number };
  /** GET /metrics outside the deployments' routes (metrics.ts). */
  metrics?: MockMetrics;
}

export class MockGateway {
  constructor(private readonly p: GatewayParts) {}

  readonly onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const { stats, router } = this.p;
    stats.requests++;
    const t0 = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);

    // Istio: host routing first (a VirtualService per knative host), then path routing.
    let dep = router.byHostHeader(req.headers.host);
    const host = dep !== undefined;
    let suffix = path;
    if (!dep) {
      dep = router.byPathPrefix(path);
      if (dep) suffix = upstreamPath(path);
    }
    if (!dep) {
      if (path === '/metrics' && this.p.metrics) return serveMetrics(this.p.metrics, req, res);
      stats.routes[Route.Unrouted]++;
      req.resume();
      this.p.out.noRoute(res);
      return;
    }
    stats.routed(host);

    const ex: Exchange = { req, res, dep, host, route: Route.NotFound, model: '', meta: 0, t0, allowOrigin: undefined, status: 0, body: undefined };
    const origin = req.headers.origin;
    const originOk = origin !== undefined && this.p.cors.allows(origin);
    if (originOk) ex.allowOrigin = origin;
    if (isPreflight(req)) {
      stats.routes[Route.Preflight]++;
      req.resume();
      this.preflight(ex, originOk);
      return;
    }

    classifyPath(ex, suffix);
    stats.routes[ex.route]++;
    const handler = this.admit(ex, suffix);
    if (handler !== undefined) this.readBody(ex, handler);
  };

  /** The handler that answers ex, or undefined when the gateway refused it (and answered). */
  private admit(ex: Exchange, suffix: string): RequestHandler | undefined {
    const refused = this.p.auth.check(ex.req.headers.authorization);
    if (refused !== undefined) return this.refuse(ex, refused.status, refused.body, refused.extra);
    const handler = this.p.handlers[ex.route];
    if (handler === undefined) return this.refuse(ex, 404, kserveError(`Not Found: ${suffix || '/'}`));
    if (ex.req.method !== handler.method) {
      return this.refuse(ex, 405, handler.errorBody(405, 'MethodNotAllowed', 'Method Not Allowed'), ['allow', handler.method]);
    }
    return handler;
  }

  private refuse(ex: Exchange, status: number, body: Buffer, extra?: string[]): undefined {
    ex.req.resume();
    this.p.out.send(ex, status, body, extra);
    return undefined;
  }

  private preflight(ex: Exchange, allowed: boolean): void {
    if (!allowed) {
      ex.allowOrigin = undefined;
      this.p.out.send(ex, 403, EMPTY);
      return;
    }
    this.p.out.send(ex, 200, EMPTY, preflightHeaders());
  }

  /** Reads the body, then hands it upstream after the gateway's routing delay. */
  private readBody(ex: Exchange, handler: RequestHandler): void {
    const { req } = ex;
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        this.p.out.send(ex, 413, kserveError('request body too large'), ['connection', 'close']);
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const body = more ? Buffer.concat(more, size) : (first ?? EMPTY);
      const delay = ex.host ? this.p.routingDelayMs.host : this.p.routingDelayMs.path;
      if (delay > 0) this.p.timers.later(delay, () => upstream(ex, handler, body));
      else upstream(ex, handler, body);
    });
  }
}

/** The request has passed the gateway: the predictor's service time starts now. */
function upstream(ex: Exchange, handler: RequestHandler, body: Buffer): void {
  ex.t0 = performance.now();
  handler.handle(ex, body);
}
