/**
 * The mock's `/metrics`: what Prometheus would scrape from the pods behind a Hopsworks deployment.
 *   - vLLM's own names for the LLM imitation (vllm:num_requests_running, …_waiting,
 *     vllm:kv_cache_usage_perc, token counters, request_success_total by finish reason, the TTFT
 *     and e2e latency histograms with vLLM's buckets), labelled engine="0", model_name=<model>;
 *   - KServe's model-server histogram `request_predict_seconds` for predict-like calls, and
 *     Knative queue-proxy's `revision_request_count` by response code.
 * KV usage is the batch model's: sequences running over maxBatch (the mock has no KV blocks).
 * Counting is a few array updates per request; the text is built only when scraped.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Exchange } from './handler.js';
import { Route } from './routes.js';

const TTFT_BUCKETS_S = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
const E2E_BUCKETS_S = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
/** KServe's model server uses prometheus_client's default buckets. */
const PREDICT_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

class Histo {
  readonly counts: number[];
  count = 0;
  sum = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }
  observe(v: number): void {
    this.count++;
    this.sum += v;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= this.bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
  /** Exposition lines, buckets cumulative, `le` among the labels as prometheus_client sorts them. */
  write(out: string[], name: string, labels: string): void {
    let cum = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cum += this.counts[i];
      out.push(`${name}_bucket{${withLe(labels, fmt(this.bounds[i]))}} ${fmt(cum)}`);
    }
    out.push(`${name}_bucket{${withLe(labels, '+Inf')}} ${fmt(this.count)}`, `${name}_count{${labels}} ${fmt(this.count)}`, `${name}_sum{${labels}} ${fmt(this.sum)}`);
  }
}

function withLe(labels: string, le: string): string {
  return labels === '' ? `le="${le}"` : `${labels},le="${le}"`;
}

/** prometheus_client prints floats: 3 → 3.0. */
function fmt(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class ModelLlm {
  running = 0;
  waiting = 0;
  promptTokens = 0;
  generationTokens = 0;
  /** Prompt-cache lookups, in tokens: queried and found (vLLM's prefix_cache_queries/_hits). */
  cacheQueries = 0;
  cacheHits = 0;
  readonly success = new Map<string, number>();
  readonly ttft = new Histo(TTFT_BUCKETS_S);
  readonly e2e = new Histo(E2E_BUCKETS_S);
}

/** What the LLM engine tells the metrics (llm.ts calls these; all optional there). */
export interface LlmMetricsSink {
  queued(model: string): void;
  /** A sequence starts running; `fromQueue` when it had waited. */
  started(model: string, fromQueue: boolean): void;
  firstToken(model: string, ttftMs: number): void;
  /** A sequence leaves the engine (`reason`: stop, length, abort, error). */
  finished(model: string, wasRunning: boolean, promptTokens: number, generatedTokens: number, e2eMs: number, reason: string): void;
  /** A prompt-cache lookup at admission: the prompt's tokens, and those the cache held. */
  prefixCacheQueried?(model: string, queriedTokens: number, hitTokens: number): void;
}

export class MockMetrics implements LlmMetricsSink {
  private readonly llm = new Map<string, ModelLlm>();
  private readonly predict = new Map<string, Histo>();
  private readonly statuses = new Map<number, number>();
  private runningAll = 0;

  constructor(private readonly maxBatch: number) {}

  private model(m: string): ModelLlm {
    let x = this.llm.get(m);
    if (!x) this.llm.set(m, (x = new ModelLlm()));
    return x;
  }

  queued(model: string): void {
    this.model(model).waiting++;
  }

  started(model: string, fromQueue: boolean): void {
    const m = this.model(model);
    if (fromQueue) m.waiting--;
    m.running++;
    this.runningAll++;
  }

  firstToken(model: string, ttftMs: number): void {
    this.model(model).ttft.observe(ttftMs / 1000);
  }

  finished(model: string, wasRunning: boolean, promptTokens: number, generatedTokens: number, e2eMs: number, reason: string): void {
    const m = this.model(model);
    if (wasRunning) {
      m.running--;
      this.runningAll--;
      m.promptTokens += promptTokens;
    } else m.waiting--;
    m.generationTokens += generatedTokens;
    m.success.set(reason, (m.success.get(reason) ?? 0) + 1);
    if (reason === 'stop' || reason === 'length') m.e2e.observe(e2eMs / 1000);
  }

  prefixCacheQueried(model: string, queriedTokens: number, hitTokens: number): void {
    const m = this.model(model);
    m.cacheQueries += queriedTokens;
    m.cacheHits += hitTokens;
  }

  /** Every answer the gateway writes (respond.ts): the predictor's histogram and the queue-proxy's count. */
  answered(ex: Exchange, status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (ex.route > Route.Infer || status !== 200) return;
    let h = this.predict.get(ex.model);
    if (!h) this.predict.set(ex.model, (h = new Histo(PREDICT_BUCKETS_S)));
    h.observe((performance.now() - ex.t0) / 1000);
  }

  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string, lines: () => void) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      lines();
    };
    const models = [...this.llm.entries()].map(([name, m]) => ({ l: `engine="0",model_name="${esc(name)}"`, name: esc(name), m }));
    if (models.length > 0) {
      family('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.', () => models.forEach(({ l, m }) => out.push(`vllm:num_requests_running{${l}} ${fmt(m.running)}`)));
      family('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', () => models.forEach(({ l, m }) => out.push(`vllm:num_requests_waiting{${l}} ${fmt(m.waiting)}`)));
      family('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', () => models.forEach(({ l }) => out.push(`vllm:kv_cache_usage_perc{${l}} ${fmt(this.runningAll / this.maxBatch)}`)));
      family('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', () => models.forEach(({ l, m }) => out.push(`vllm:prompt_tokens_total{${l}} ${fmt(m.promptTokens)}`)));
      family('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.', () => models.forEach(({ l, m }) => out.push(`vllm:generation_tokens_total{${l}} ${fmt(m.generationTokens)}`)));
      if (models.some(({ m }) => m.cacheQueries > 0)) {
        family('vllm:prefix_cache_queries_total', 'counter', 'Prefix cache queries, in terms of number of queried tokens.', () => models.forEach(({ l, m }) => out.push(`vllm:prefix_cache_queries_total{${l}} ${fmt(m.cacheQueries)}`)));
        family('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in terms of number of cached tokens.', () => models.forEach(({ l, m }) => out.push(`vllm:prefix_cache_hits_total{${l}} ${fmt(m.cacheHits)}`)));
      }
      family('vllm:request_success_total', 'counter', 'Count of successfully processed requests.', () =>
        models.forEach(({ name, m }) => {
          for (const [reason, n] of m.success) out.push(`vllm:request_success_total{engine="0",finished_reason="${reason}",model_name="${name}"} ${fmt(n)}`);
        }),
      );
      family('vllm:time_to_first_token_seconds', 'histogram', 'Histogram of time to first token in seconds.', () => models.forEach(({ l, m }) => m.ttft.write(out, 'vllm:time_to_first_token_seconds', l)));
      family('vllm:e2e_request_latency_seconds', 'histogram', 'Histogram of e2e request latency in seconds.', () => models.forEach(({ l, m }) => m.e2e.write(out, 'vllm:e2e_request_latency_seconds', l)));
    }
    if (this.predict.size > 0) {
      family('request_predict_seconds', 'histogram', 'predict latency', () => {
        for (const [model, h] of this.predict) h.write(out, 'request_predict_seconds', `model_name="${esc(model)}"`);
      });
    }
    if (this.statuses.size > 0) {
      family('revision_request_count', 'counter', 'The number of requests that are routed to queue-proxy', () => {
        for (const [code, n] of [...this.statuses].sort((a, b) => a[0] - b[0])) out.push(`revision_request_count{response_code="${code}",response_code_class="${Math.floor(code / 100)}xx"} ${n}`);
      });
    }
    return out.join('\n') + '\n';
  }
}

/** GET /metrics (outside every deployment's routes, as a pod's metrics port is; no API key). */
export function serveMetrics(metrics: MockMetrics, req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET', 'content-length': '0' });
    res.end();
    return;
  }
  const body = Buffer.from(metrics.render());
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
