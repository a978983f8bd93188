/**
 * A realistic Summary built the way a run builds it: synthetic run records (start, one interval per
 * worker per second, end) fed to buildSummary(). Deterministic for a given seed, so report sizes
 * and rendered values are stable across machines.
 *
 * The story it tells: a predictive workload and a streaming chat workload (optionally a third,
 * non-streaming completion workload); a burst of http_503 between seconds 20 and 25 with slower
 * service; dropped requests at seconds 40–42; the generator falling behind between seconds 30 and
 * 36 (so `generator.saturated` is set); thresholds of which some pass and some fail.
 */
import { Rng } from '../../src/util/random.js';
import { encode, newRecorder, type Histogram } from '../../src/metrics/hdr.js';
import { emptyWorkloadInterval, SCHEMA_VERSION, type EndRecord, type IntervalRecord, type MetricName, type RunInfo, type RunRecord, type WorkloadInterval } from '../../src/metrics/records.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';

export interface SampleOptions {
  /** Measured seconds (intervals per worker). Default 60. */
  seconds?: number;
  /** Worker threads, each writing its own interval records. Default 2. */
  workers?: number;
  /** 2: predict + streaming chat; 3 adds a non-streaming completion workload. Default 2. */
  workloads?: 2 | 3;
  /** Scenario name (tests put hostile strings here). */
  name?: string;
  seed?: number;
}

type Kind = RunInfo['workloads'][number]['kind'];
interface WlDef {
  name: string;
  kind: Kind;
  model: string;
  weight: number;
  stream: boolean;
}

const WORKLOADS: WlDef[] = [
  { name: 'fraud-predict', kind: 'predict', model: 'fraud', weight: 3, stream: false },
  { name: 'assistant-chat', kind: 'chat', model: 'llama-3.1-8b-instruct', weight: 1, stream: true },
  { name: 'summarize', kind: 'completion', model: 'llama-3.1-8b-instruct', weight: 1, stream: false },
];

/** The project's own seeded generator, so sample data is repeatable. */
function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export function sampleRecords(opts: SampleOptions = {}): RunRecord[] {
  const seconds = opts.seconds ?? 60;
  const workers = opts.workers ?? 2;
  const defs = WORKLOADS.slice(0, opts.workloads ?? 2);
  const rnd = prng(opts.seed ?? 42);
  const normal = () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const logNormal = (median: number, sigma: number) => median * Math.exp(sigma * normal());
  const exp = (mean: number) => -mean * Math.log(Math.max(rnd(), 1e-12));

  const targetRps = defs.reduce((s, d) => s + d.weight, 0) * 10;
  const weightSum = defs.reduce((s, d) => s + d.weight, 0);
  const slo = { ttftMs: 500, tpotMs: 50, latencyMs: 8000 };
  const startedAt = '2025-06-02T09:30:00.000Z';
  const run: RunInfo = {
    schemaVersion: SCHEMA_VERSION,
    servebenchVersion: '0.1.0',
    scenario: { name: opts.name ?? 'fraud-and-assistant', file: '/home/ops/bench/scenarios/fraud-and-assistant.yaml' },
    target: { url: 'https://gateway.hopsworks.example.com', routing: 'path', project: 'fraud_detection', deployment: 'fraud', embedded: false },
    load: {
      type: 'constant',
      targetRps,
      durationMs: seconds * 1000,
      warmupMs: 5000,
      requests: 0,
      workers,
      connections: 64,
      maxInFlight: 400,
      onSaturation: 'drop',
      concurrency: 0,
    },
    workloads: defs.map((d) => ({ name: d.name, kind: d.kind, model: d.model, weight: d.weight, stream: d.stream })),
    slo,
    thresholds: [],
    measureStartEpochMs: Date.parse(startedAt),
    startedAt,
    shard: '0/1',
  };

  const records: RunRecord[] = [{ type: 'start', run }];
  const rec = new Map<MetricName, Histogram>();
  const recorder = (m: MetricName) => {
    let h = rec.get(m);
    if (!h) rec.set(m, (h = newRecorder()));
    return h;
  };
  const loopLag = newRecorder();
  const dispatchLag = newRecorder();

  for (let sec = 0; sec < seconds; sec++) {
    const slow = sec >= 20 && sec < 25;
    const saturated = sec >= 30 && sec < 37;
    const dropping = sec >= 40 && sec < 43;
    for (let worker = 0; worker < workers; worker++) {
      loopLag.reset();
      dispatchLag.reset();
      const samples: Record<string, string> = {};
      const wls: WorkloadInterval[] = defs.map((d) => {
        for (const h of rec.values()) h.reset();
        const w = emptyWorkloadInterval();
        const planned = (targetRps * d.weight) / weightSum / workers;
        const n = Math.max(0, Math.round(planned + (rnd() - 0.5) * 2));
        if (dropping && d.kind === 'predict') w.dropped = 3;
        w.sent = n - w.dropped;
        let busyMs = 0;
        for (let k = 0; k < w.sent; k++) {
          const lagMs = saturated ? 6 + rnd() * 20 : exp(0.15);
          dispatchLag.recordValue(Math.max(1, Math.round(lagMs * 1000)));
          const fail = (cls: string, sample: string) => {
            w.errors[cls] = (w.errors[cls] ?? 0) + 1;
            samples[cls] ??= sample;
          };
          const r = rnd();
          if (d.kind === 'predict') {
            if (r < (slow ? 0.09 : 0.004)) {
              fail('http_503', 'HTTP 503 from https://gateway.hopsworks.example.com/v1/fraud_detection/fraud/v1/models/fraud:predict: upstream connect error or disconnect/reset before headers');
              continue;
            }
            if (r > 0.998) {
              fail('timeout', 'no response within 30s');
              continue;
            }
            const service = logNormal(slow ? 31 : 11.5, 0.32);
            busyMs += service;
            recorder('serviceTime').recordValue(Math.round(service * 1000));
            recorder('scheduleLag').recordValue(Math.max(1, Math.round(lagMs * 1000)));
            recorder('latency').recordValue(Math.round((service + lagMs) * 1000));
            w.ok++;
            w.sloMet++;
            continue;
          }
          // chat (streamed) or completion (not streamed)
          if (r < 0.008) {
            fail(d.stream ? 'stream_error' : 'invalid_response', d.stream ? 'error event in stream: {"error":{"message":"KV cache is full","code":503}}' : 'response has no choices[0].text');
            continue;
          }
          if (r > 0.993) {
            fail('http_429', 'HTTP 429 Too Many Requests: rate limit of the model deployment reached');
            continue;
          }
          const asked = d.stream ? 128 : 200;
          const short = rnd() < 0.03;
          const outTok = short ? 10 + Math.floor(rnd() * (asked - 20)) : asked;
          const inTok = Math.max(16, Math.round(256 + 32 * normal()));
          const ttft = logNormal(slow ? 420 : 165, 0.38);
          const tpot = Math.max(8, 21 + 2.5 * normal() + (slow ? 9 : 0));
          let streamMs = 0;
          if (d.stream) {
            for (let t = 1; t < outTok; t++) {
              const gap = Math.max(0.4, tpot * (0.55 + 0.9 * rnd()) + (rnd() < 0.01 ? 60 + rnd() * 120 : 0));
              streamMs += gap;
              recorder('itl').recordValue(Math.round(gap * 1000));
            }
            recorder('ttft').recordValue(Math.round(ttft * 1000));
            recorder('tpot').recordValue(Math.round((streamMs / Math.max(1, outTok - 1)) * 1000));
          } else streamMs = tpot * (outTok - 1);
          const service = ttft + streamMs;
          busyMs += service;
          recorder('serviceTime').recordValue(Math.round(service * 1000));
          recorder('scheduleLag').recordValue(Math.max(1, Math.round(lagMs * 1000)));
          recorder('latency').recordValue(Math.round((service + lagMs) * 1000));
          recorder('outputTokens').recordValue(outTok);
          recorder('inputTokens').recordValue(inTok);
          w.ok++;
          w.outputTokens += outTok;
          w.inputTokens += inTok;
          if (short) w.short++;
          const tpotMs = streamMs / Math.max(1, outTok - 1);
          if ((!d.stream || (ttft <= slo.ttftMs && tpotMs <= slo.tpotMs)) && service + lagMs <= slo.latencyMs) w.sloMet++;
        }
        // Little's law: requests in flight ≈ busy time per second.
        w.inFlight = Math.round(busyMs / 1000 + rnd());
        for (const [m, h] of rec) if (h.totalCount > 0) w.hist[m] = encode(h);
        return w;
      });
      for (let k = 0; k < 100; k++) loopLag.recordValue(Math.round(saturated ? 2000 + rnd() * 30000 : 15 + exp(180)));
      const interval: IntervalRecord = {
        type: 'interval',
        shard: '0/1',
        worker,
        index: sec,
        workloads: wls,
        health: {
          loopLagUs: encode(loopLag),
          dispatchLagUs: dispatchLag.totalCount > 0 ? encode(dispatchLag) : undefined,
          elu: saturated ? 0.96 + rnd() * 0.03 : 0.28 + rnd() * 0.12,
        },
        errorSamples: Object.keys(samples).length ? samples : undefined,
      };
      records.push(interval);
    }
  }
  const end: EndRecord = {
    type: 'end',
    shard: '0/1',
    measuredDurationMs: seconds * 1000,
    interrupted: false,
    cpuPercent: 142.5,
    workerErrors: [],
    endedAt: new Date(Date.parse(startedAt) + seconds * 1000).toISOString(),
  };
  records.push(end);
  return records;
}

/** A Summary from sampleRecords(), with threshold results (both PASS and FAIL) filled in. */
export function sampleSummary(opts: SampleOptions = {}): Summary {
  const s = buildSummary(sampleRecords(opts));
  const lat = s.metrics.latency!;
  const ttft = s.metrics.ttft;
  const predict = s.workloads[0].metrics.latency!;
  const errRate = s.totals.completed ? s.totals.errors / s.totals.completed : 0;
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  s.thresholds = [
    { expr: 'latency.p99 < 8s', ok: lat.p99 < 8000, value: lat.p99 },
    { expr: 'errors.rate < 1%', ok: errRate < 0.01, value: r4(errRate) },
    { expr: 'ttft.p95 < 500ms', ok: (ttft?.p95 ?? 0) < 500, value: ttft?.p95 ?? null },
    { expr: 'fraud-predict.latency.p99 < 25ms', ok: predict.p99 < 25, value: predict.p99 },
    { expr: 'dropped.count == 0', ok: s.totals.dropped === 0, value: s.totals.dropped },
  ];
  return s;
}
