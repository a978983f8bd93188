/**
 * The contract between the gateway and the predictors behind it: the per-request `Exchange` the
 * gateway fills in, and the `RequestHandler` each request kind (KServe call, metadata GET, vLLM
 * call) implements. A new kind of request is a path rule in routes.ts and a handler of its own
 * registered in server.ts.
 */
import type http from 'node:http';
import type { Deployment } from './routing.js';

/** One request through the gateway. Allocated once per routed request; handlers reuse its fields. */
export interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  dep: Deployment;
  /** Routed by Host header (else by path). */
  host: boolean;
  /** Route id (routes.ts). */
  route: number;
  model: string;
  /** Which GET answer (Meta in routes.ts) for the model route. */
  meta: number;
  /** Start of the upstream service time (performance.now()). */
  t0: number;
  allowOrigin: string | undefined;
  /** While queued for a service slot: the answer to send when served. */
  status: number;
  body: Buffer | undefined;
}

export interface RequestHandler {
  /** The HTTP method this kind of request takes; others get a 405. */
  readonly method: 'GET' | 'POST';
  /** An error answer in this protocol's shape (the gateway's 405 uses it). */
  errorBody(status: number, type: string, message: string): Buffer;
  /** Answers a request that passed the gateway (routing, auth, method, body, routing delay). */
  handle(ex: Exchange, body: Buffer): void;
}

export const JSON_TYPE = 'application/json';
export const EMPTY = Buffer.alloc(0);

export function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

/** KServe's (and the gateway's) error body. */
export function kserveError(message: string): Buffer {
  return json({ error: message });
}
