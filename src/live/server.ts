/**
 * The `--metrics-port` HTTP server: GET /metrics answers the live metrics (metrics.ts); anything
 * else is a 404. It listens on every interface by default, as a pod's metrics port must for
 * Prometheus to scrape it (the shard Job's pods carry prometheus.io/scrape annotations).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServebenchError } from '../errors.js';
import { LiveMetrics } from './metrics.js';

export interface LiveMetricsServer {
  readonly metrics: LiveMetrics;
  readonly port: number;
  close(): Promise<void>;
}

export async function serveLiveMetrics(port: number, host = '0.0.0.0'): Promise<LiveMetricsServer> {
  const metrics = new LiveMetrics();
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('servebench serves its metrics at /metrics\n');
      return;
    }
    metrics.text().then(
      (t) => res.writeHead(200, { 'content-type': t.contentType }).end(t.body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new ServebenchError('E_USAGE', `--metrics-port ${port}: cannot listen (${e.code ?? e.message})`, { hint: 'pick a free port, e.g. --metrics-port 9464' })),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    metrics,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `--metrics-port N`: 1-65535 (0 = any free port, for tests). */
export function parseMetricsPort(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new ServebenchError('E_USAGE', `--metrics-port '${v}' is not a port number (0-65535)`, { hint: 'the usual one for an exporter is 9464' });
  return n;
}
