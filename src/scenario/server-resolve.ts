/**
 * The `server:` section resolved: defaults (interval 1s; a scrape's own timeout twice its
 * interval, 1-10 s), and TLS taken from target.tls unless the endpoint sets its own.
 */
import type { ScenarioParsed } from './schema.js';
import type { ProblemList } from './source.js';
import { isObject } from '../util/values.js';
import type { ResolvedServer, ResolvedTls } from './types.js';

type ServerParsed = NonNullable<ScenarioParsed['server']>;

const scrapeTimeoutMs = (intervalMs: number) => Math.min(10_000, Math.max(1000, 2 * intervalMs));

export function resolveServer(s: ServerParsed, targetTls: ResolvedTls): ResolvedServer {
  const http = (e: { headers?: Record<string, string>; apiKey?: string; tls?: { insecure: boolean } }) => ({
    headers: e.headers ?? {},
    ...(e.apiKey !== undefined ? { apiKey: e.apiKey } : {}),
    tls: e.tls ? { ...targetTls, insecure: e.tls.insecure } : targetTls,
  });
  return {
    metrics: s.metrics.map((e) => ({
      url: e.url,
      intervalMs: e.interval,
      timeoutMs: e.timeout ?? scrapeTimeoutMs(e.interval),
      select: e.select ?? [],
      ...http(e),
    })),
    ...(s.prometheus
      ? {
          prometheus: {
            url: s.prometheus.url.replace(/\/+$/, ''),
            queries: s.prometheus.queries,
            stepMs: s.prometheus.step,
            timeoutMs: s.prometheus.timeout ?? 10_000,
            ...http(s.prometheus),
          },
        }
      : {}),
  };
}

/** `url: embedded` scrapes the embedded mock, which only a run against it starts. */
export function checkServer(raw: unknown, targetUrl: unknown, problems: ProblemList): void {
  if (!isObject(raw) || !Array.isArray(raw.metrics) || targetUrl === 'embedded') return;
  raw.metrics.forEach((e, i) => {
    if (isObject(e) && e.url === 'embedded') problems.add(['server', 'metrics', i, 'url'], 'value', `'embedded' scrapes the embedded mock: it needs target.url: embedded`);
  });
}
