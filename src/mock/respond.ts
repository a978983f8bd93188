/**
 * Writing answers the way the Istio gateway does: Envoy's headers (server, upstream service
 * time), CORS allow-origin, content type and length, every write through the stall gate, and
 * every status counted.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { JSON_TYPE, type Exchange } from './handler.js';
import type { StallGate } from './faults.js';
import type { StatsCounter } from './stats.js';
import type { MockMetrics } from './metrics.js';

/** Where a finished answer goes (the service slots hand theirs here). */
export interface Sender {
  send(ex: Exchange, status: number, body: Buffer, extra?: string[]): void;
}

export class Responder implements Sender {
  constructor(
    private readonly stall: StallGate,
    private readonly stats: StatsCounter,
    private readonly metrics?: MockMetrics,
  ) {}

  writeHead(ex: Exchange, status: number, contentType: string | undefined, length: number | undefined, extra?: string[]): void {
    const h: string[] = ['server', 'istio-envoy', 'x-envoy-upstream-service-time', String(Math.round(performance.now() - ex.t0))];
    if (contentType !== undefined) h.push('content-type', contentType);
    if (length !== undefined) h.push('content-length', String(length));
    if (ex.allowOrigin !== undefined) h.push('access-control-allow-origin', ex.allowOrigin, 'vary', 'Origin');
    if (extra) h.push(...extra);
    ex.res.writeHead(status, h);
    this.stats.status(status);
    this.metrics?.answered(ex, status);
  }

  /** A whole JSON (or empty) response, through the stall gate. */
  send(ex: Exchange, status: number, body: Buffer, extra?: string[]): void {
    if (!this.stall.enabled) {
      this.sendNow(ex, status, body, extra);
    } else {
      this.stall.gate(() => this.sendNow(ex, status, body, extra));
    }
  }

  private sendNow(ex: Exchange, status: number, body: Buffer, extra?: string[]): void {
    if (ex.res.destroyed) return;
    this.writeHead(ex, status, body.length > 0 ? JSON_TYPE : undefined, body.length, extra);
    ex.res.end(body);
  }

  /** Envoy's own 404 when no route matches: empty body, no CORS. */
  noRoute(res: http.ServerResponse): void {
    const notFound = (): void => {
      this.stats.status(404);
      res.writeHead(404, ['server', 'istio-envoy', 'x-envoy-upstream-service-time', '0', 'content-length', '0']);
      res.end();
    };
    if (!this.stall.enabled) notFound();
    else this.stall.gate(notFound);
  }
}
