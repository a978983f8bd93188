/**
 * Scrapes Prometheus text endpoints during a run, from the coordinator's thread: the workers
 * never wait for it. Each endpoint has its own loop on an absolute grid (scrape k is due at
 * start + k × interval; a scrape still running when the next is due skips that one, never
 * queues), its own connection and its own timeout. A failed scrape is recorded (ok: false),
 * counted and warned about once per endpoint; it never stops the run.
 */
import { Agent, request } from 'undici';
import { displayUrl } from '../target/url.js';
import { parseExposition } from './parse.js';
import { pointsOf, selector } from './points.js';
import type { ServerRecord } from './types.js';
import type { ResolvedServerEndpoint } from '../scenario/types.js';
import { authHeaders, httpAgent, shortError } from './http.js';

export interface ScrapeOptions {
  shard: string;
  emit(r: ServerRecord): void;
  warn(msg: string): void;
  /** The embedded mock's origin, for endpoints whose url is 'embedded'. */
  embeddedOrigin?: string;
}

/** The URL an endpoint scrapes: 'embedded' is the embedded mock's /metrics. */
export function endpointUrl(e: ResolvedServerEndpoint, embeddedOrigin: string | undefined): string {
  if (e.url !== 'embedded') return e.url;
  if (!embeddedOrigin) throw new Error("server.metrics url 'embedded' needs target.url: embedded");
  return `${embeddedOrigin}/metrics`;
}

/** One scrape: the parsed points, or an error text. Never throws. */
export async function scrapeOnce(url: string, e: ResolvedServerEndpoint, agent: Agent): Promise<Pick<ServerRecord, 'ok' | 'error' | 'series'>> {
  const keep = selector(e.select);
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'text/plain;version=0.0.4', ...authHeaders(e) },
      dispatcher: agent,
      headersTimeout: e.timeoutMs,
      bodyTimeout: e.timeoutMs,
      signal: AbortSignal.timeout(e.timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { ok: false, error: `HTTP ${res.statusCode}` };
    return { ok: true, series: pointsOf(parseExposition(text), keep) };
  } catch (err) {
    return { ok: false, error: shortError(err, e.timeoutMs) };
  }
}

class EndpointLoop {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private k = 0;
  private stopped = false;
  scrapes = 0;
  failures = 0;
  private readonly agent: Agent;
  private readonly source: string;

  constructor(
    private readonly e: ResolvedServerEndpoint,
    private readonly url: string,
    private readonly o: ScrapeOptions,
    private readonly startMs: number,
  ) {
    this.agent = httpAgent(e);
    this.source = displayUrl(url);
  }

  start(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    // Still busy with the last one (a slow server): this slot is skipped, not queued.
    if (this.inFlight === undefined) this.inFlight = this.scrape().finally(() => (this.inFlight = undefined));
    const now = Date.now();
    this.k = Math.max(this.k + 1, Math.ceil((now - this.startMs) / this.e.intervalMs));
    this.timer = setTimeout(() => this.tick(), this.startMs + this.k * this.e.intervalMs - now);
    this.timer.unref();
  }

  async scrape(): Promise<void> {
    const atEpochMs = Date.now();
    const r = await scrapeOnce(this.url, this.e, this.agent);
    this.scrapes++;
    if (!r.ok) {
      this.failures++;
      if (this.failures === 1) this.o.warn(`server metrics: scraping ${this.source} failed (${r.error}); the run goes on, failures are counted in summary.json server.sources`);
    }
    this.o.emit({ type: 'server', shard: this.o.shard, source: this.source, atEpochMs, ...r });
  }

  /** Stops the loop after one last scrape (the end of the window needs a point). */
  async finish(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.scrape();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.agent.close().catch(() => undefined);
  }

  summaryWarning(): string | null {
    return this.failures > 1 ? `server metrics: ${this.failures} of ${this.scrapes} scrapes of ${this.source} failed` : null;
  }
}

export interface ScrapeLoops {
  /** Last scrapes, then the loops stop (the run's load is over). */
  finish(): Promise<void>;
  /** Releases connections; safe to call more than once, and after an error. */
  close(): Promise<void>;
}

export function startScraping(endpoints: readonly ResolvedServerEndpoint[], o: ScrapeOptions): ScrapeLoops {
  const startMs = Date.now();
  const loops = endpoints.map((e) => new EndpointLoop(e, endpointUrl(e, o.embeddedOrigin), o, startMs));
  for (const l of loops) l.start();
  return {
    async finish() {
      await Promise.all(loops.map((l) => l.finish()));
      for (const l of loops) {
        const w = l.summaryWarning();
        if (w) o.warn(w);
      }
    },
    async close() {
      await Promise.all(loops.map((l) => l.close()));
    },
  };
}
